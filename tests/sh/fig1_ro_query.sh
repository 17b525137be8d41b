#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, route optimization after a move (P3 query mode, figure 3; with
# FIG1_MODE=redirect, P4 redirect mode, figure 4: fig1_ro_redirect.sh).
# MN1 attaches at MR12 (anchor of its HoA), moves to MR11; MN2 at MR31 then
# pings it. The steady-state path must be MR31 -> MR11 directly, proven by
# counters, not by the configuration:
#   - MR31's IPv6-in-IPv6 packets to MR11 (nftables on its core link) and
#     MR11's decapsulation count (lib_lab.sh decap) count each packet;
#   - the anchor MR12 (nftables forward counter for the HoA prefix, and its
#     own decapsulation count) carries at most the first few packets of the
#     first burst, and none of a second burst;
#   - MR31 has its driver's tunnel route for the prefix to MR11.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
MODE=${FIG1_MODE:-query}
lab_require

lab_up "mr-conf mode $MODE"
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at home"

count41_setup mr31 mr12 mr11
fwd_setup mr12 "$p1"
$L -l $LAB move mn1 mr11 || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
[ "$(mn_prefixes mn1 mr11)" = "$p1" ] || bad "mn1 at mr11 has '$(mn_prefixes mn1 mr11)', want $p1"
[ "$(mn_addr mn1 "$p1")" = "$a1" ] || bad "mn1 lost its HoA $a1"

snap() {
	echo "$(count41 mr31 tx_mr11) $(count41 mr31 tx_mr12) $(decap mr11) $(decap mr12) $(fwd mr12)"
}
# burst N: N pings, all answered; prints the counter deltas.
burst() {
	local before after n=$1
	before=$(snap)
	# (a subshell: bad would set fail there; the mark file carries it out)
	x mn2 ping -6 -c "$n" -i 0.01 -w 10 -q "$a1" >/dev/null ||
		{ echo "FAIL: mn2 -> mn1: pings lost" >&2; : >"$DMMLAB_RUN/burst_lost"; }
	after=$(snap)
	python3 -c 'import sys; b, a = sys.argv[1].split(), sys.argv[2].split()
print(" ".join(str(int(y) - int(x)) for x, y in zip(b, a)))' "$before" "$after"
}
check() { # WHAT DELTAS N MAX_ANCHOR
	local t11 t12 d11 d12 f12
	read -r t11 t12 d11 d12 f12 <<<"$2"
	echo "$1: mr31->mr11 tunnel $t11, mr31->mr12 tunnel $t12, mr11 decap $d11," \
		"mr12 decap $d12, mr12 forwarded $f12 (of $3 pings)"
	[ "$t11" -ge $(($3 - $4)) ] || bad "$1: mr31 tunnelled $t11 to mr11, want >= $(($3 - $4))"
	[ "$d11" -ge $(($3 - $4)) ] || bad "$1: mr11 decapsulated $d11, want >= $(($3 - $4))"
	[ "$t12" -le "$4" ] || bad "$1: mr31 tunnelled $t12 to the anchor mr12, want <= $4"
	[ "$d12" -le "$4" ] || bad "$1: the anchor mr12 decapsulated $d12, want <= $4"
	[ "$f12" -le "$4" ] || bad "$1: the anchor mr12 forwarded $f12 to $p1, want <= $4"
}
check "first burst" "$(burst 50)" 50 3
check "second burst" "$(burst 50)" 50 0
[ -e "$DMMLAB_RUN/burst_lost" ] && bad "mn2 -> mn1: pings lost in a burst"

x mr31 ip -6 route show table $TABLE "$p1"
tunnel_route mr31 "$p1" 2001:db8:ff::11 || bad "mr31 has no tunnel route for $p1 to mr11"
echo "mr31 cache: $(ctl mr31 show cache)"
[ $fail = 0 ] || dump mr31 mr12 mr11
lab_result "$MODE mode: mn2 -> mn1 goes mr31 -> mr11 directly after the move; anchor mr12 idle"
