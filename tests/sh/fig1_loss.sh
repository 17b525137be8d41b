#!/bin/bash
# dmm-test: netns
# Figure 1 under 30 % signalling loss: every router drops 30 % of the
# signalling it sends (nftables, output hook: next header 135 and UDP 5436,
# `numgen random`), and the two MNs make 50 handovers between them (MN1
# round MR12 -> MR11 -> MR2, across two local networks; MN2 between MR31 and
# MR32), concurrently. Checked:
#   - the loss is real: the nftables counters show about 30 % of the
#     signalling dropped (between 15 and 45 %), and the routers retransmitted;
#   - every handover completes: after each move the MN is attached at the
#     new MR with an address in each of its prefixes, it still has the
#     prefix it got at its first attach (an MR whose query for it timed out
#     serves it as new at once, and takes over its prefixes when the LM
#     answers a later query), and the correspondent (CN behind MRGW)
#     reaches it, the LM of each prefix binds it at the
#     new MR and no MR keeps a handover context for it (handover-context
#     1 s here). Only then does that MN move again (FIG1_LOSS_SETTLE=mixed:
#     most moves are quick returns, A -> B -> A for MN2, A -> B -> C for
#     MN1, with the first handover's signalling still being lost and
#     retransmitted; not the default, see below);
#   - nothing stale afterwards, once the handover contexts have expired and
#     no node has a request in flight (dmmctl's requests_in_flight): on
#     every MR, no kernel route to an MN's access link (dev mnN) other than
#     at its MR, no `show mns` entry for an MN elsewhere, no handover
#     context; every location cache entry and tunnel route for an MN's
#     prefix points at its current MR; the LM of each prefix binds it there.
# The loss is on signalling only (data is not dropped). Driver-independent:
# run once, with the default driver. Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

MOVES=${FIG1_LOSS_MOVES:-50}
LOSS=${FIG1_LOSS_PCT:-30}
lab_up "node-conf signalling both" "timers-conf handover-context 1s"
MRS="mr11 mr12 mr2 mrgw mr31 mr32"
ROUTERS="lm1haa1 lm2haa2 lm3 haa3 $MRS"

for n in $ROUTERS; do
	x "$n" nft -f - <<-EOT || bad "nft loss on $n"
	table inet fig1loss {
		counter sig {}
		counter lost {}
		chain out { type filter hook output priority 0;
			meta l4proto 135 counter name sig
			udp dport 5436 counter name sig
			meta l4proto 135 numgen random mod 100 < $LOSS counter name lost drop
			udp dport 5436 numgen random mod 100 < $LOSS counter name lost drop
		}
	}
	EOT
done
nftc() { x "$1" nft -j list counter inet fig1loss "$2" | jq -r '.nftables[] | select(.counter) | .counter.packets'; }
sum_counter() { # COUNTER NODE... (dmmctl)
	local c=$1 n s=0
	shift
	for n in "$@"; do s=$((s + $(counter "$n" "$c"))); done
	echo $s
}
rtx0=$(sum_counter retransmit $ROUTERS)

# A handover is complete when the LM of each of the MN's prefixes binds it
# at the new MR and no MR keeps a handover context for it. Quick returns:
# a quick move does not wait for that, only for the MN to have its
# addresses and the correspondent to reach it, and the MN moves on at once
# with the handover's signalling still being lost and retransmitted. By
# default every move of MN2 is quick (MR31 -> MR32 -> MR31 -> ..., within
# one local network) and so are MN1's to MR11 and MR12 (MR12 -> MR11 ->
# MR2, MR2 -> MR12 -> MR11); MN1's moves to MR2 wait: MR2's update reaches
# LM1 through LM2 (LM_FWD), whose retransmissions could land after MN1 had
# moved on (fixed since by the binding versions, SECURITY.md "Quick returns,
# an update still in flight", tested in test_fig1_quickret; 0 below makes
# them quick too). FIG1_LOSS_SETTLE=1 (the default): every move waits;
# mixed: as above; 0: none does. mixed is not the default: in CI (19:2x
# UTC) it ended once with MRGW caching MN2's prefix at MR31 while MN2 was
# at MR32 (a stale redirect, 280 s of cache left; known, SECURITY.md):
# the quick returns are checked deterministically in test_fig1_quickret.
SETTLE=${FIG1_LOSS_SETTLE:-1}
settles() { # MN MR
	case $SETTLE in
	1) return 0 ;;
	0) return 1 ;;
	*) [ "$1" = mn1 ] && [ "$2" = mr2 ] ;;
	esac
}
lm_of() { # PREFIX -> LM node of its local network
	case $1 in 2001:db8:1:*) echo lm1haa1 ;; 2001:db8:2:*) echo lm2haa2 ;; *) echo lm3 ;; esac
}
bound_at() { # MN MR
	local p loc
	loc=$(mr_addr "$2")
	for p in $(mn_all_prefixes "$1" "$2"); do
		[ "$(jq_ "$(lm_of "$p")" show bindings -- ".[] | select(.prefix == \"$p\") | .location")" = "$loc" ] ||
			return 1
	done
}
no_context() { # MN
	local id n
	id=$(jq_ "${at_now[$1]}" show mns -- '.[0].mnid')
	for n in $MRS; do
		[ -z "$(jq_ "$n" show handovers -- ".[] | select(.mnid == \"$id\")")" ] || return 1
	done
}
declare -A at_now=() first=()
first[mn1]=$(mn_prefixes mn1 mr12)
first[mn2]=$(mn_prefixes mn2 mr31)
[ "$(echo "${first[mn1]} ${first[mn2]}" | wc -w)" = 2 ] || bad "first prefixes: ${first[*]}"
keeps_first() { mn_all_prefixes "$1" "$2" | grep -qxF "${first[$1]}"; } # MN MR
since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
# state_of ADDR: what the CN's MR and the MRs of the MN think of it.
state_of() {
	local n
	echo "== at $(date +%s.%N)"
	for n in mrgw $MRS lm1haa1 lm2haa2 lm3; do
		echo "== $n"
		ctl "$n" show cache 2>/dev/null; ctl "$n" show mns 2>/dev/null
		ctl "$n" show handovers 2>/dev/null; ctl "$n" show bindings 2>/dev/null
		x "$n" ip -6 route show table $TABLE 2>/dev/null
	done
}
# mover MN "MR..." COUNT: COUNT moves round the MRs, each waited for and
# checked with a ping from the CN to the MN's address in each prefix; one
# line per move in $DMMLAB_RUN/moves.MN, "ok" or "FAIL why".
mover() {
	local mn=$1 ring=($2) count=$3 i mr p a ok t0
	: >"$DMMLAB_RUN/moves.$mn"
	for ((i = 0; i < count; i++)); do
		mr=${ring[$(((i + 1) % ${#ring[@]}))]}
		t0=$(date +%s.%N)
		at_now[$mn]=$mr
		$L -l $LAB move "$mn" "$mr" >/dev/null 2>&1 # no RA within 2 s is allowed: loss
		ok="ok"
		if ! wait_until 15 mn_ready "$mn" "$mr"; then
			ok="FAIL not attached at $mr with addresses"
		elif ! wait_until 15 keeps_first "$mn" "$mr"; then
			ok="FAIL lost its first prefix ${first[$mn]} at $mr (has $(mn_all_prefixes "$mn" "$mr" | tr '\n' ' '))"
		elif settles "$mn" "$mr" && ! wait_until 15 bound_at "$mn" "$mr"; then
			ok="FAIL not bound at $mr by its LMs"
		elif settles "$mn" "$mr" && ! wait_until 10 no_context "$mn"; then
			ok="FAIL a handover context for it is left"
		else
			for p in $(mn_prefixes "$mn" "$mr"); do
				a=$(mn_addr "$mn" "$p") || { ok="FAIL no address in $p"; break; }
				x cn ping -6 -c1 -w8 "$a" >/dev/null && continue
				ok="FAIL cn cannot reach $a at $mr within 8 s"
				state_of "$a" >"$DMMLAB_RUN/state.$mn.$i"
				local end=$((SECONDS + 30))
				while [ $SECONDS -lt $end ] && ! x cn ping -6 -c1 -w1 "$a" >/dev/null; do :; done
				[ $SECONDS -lt $end ] &&
					ok="$ok (then after $(since "$t0")s)"
				break
			done
		fi
		echo "$i $mn -> $mr $ok $(since "$t0")s" >>"$DMMLAB_RUN/moves.$mn"
	done
}
movers_stop() { kill $m1 $m2 2>/dev/null; wait $m1 $m2 2>/dev/null; }
LAB_CLEANUP_HOOK=movers_stop
SECONDS=0
mover mn1 "mr12 mr11 mr2" $((MOVES / 2)) &
m1=$!
m2=
mover mn2 "mr31 mr32" $((MOVES - MOVES / 2)) &
m2=$!
wait $m1 $m2
LAB_CLEANUP_HOOK=
echo "$MOVES handovers in ${SECONDS}s"
n_ok=$(cat "$DMMLAB_RUN"/moves.* | grep -c ' ok ')
grep -h FAIL "$DMMLAB_RUN"/moves.* | sed 's/^/  /'
for f in "$DMMLAB_RUN"/state.*; do [ -e "$f" ] && { echo "--- $f"; cat "$f"; }; done
# the failed moves in the FAIL: line itself: the end of a CI log repeats it
[ "$n_ok" = "$MOVES" ] || bad "$n_ok of $MOVES handovers completed:$(grep -h FAIL "$DMMLAB_RUN"/moves.* |
	head -3 | sed 's/^/ [/; s/$/]/' | tr -d '\n')"

sig=0 lost=0
for n in $ROUTERS; do
	sig=$((sig + $(nftc "$n" sig))) lost=$((lost + $(nftc "$n" lost)))
done
rtx=$(($(sum_counter retransmit $ROUTERS) - rtx0))
echo "signalling sent $sig, dropped by nftables $lost ($((100 * lost / (sig > 0 ? sig : 1))) %), retransmissions $rtx"
[ $((100 * lost)) -ge $((sig * LOSS / 2)) ] && [ $((100 * lost)) -le $((sig * LOSS * 3 / 2)) ] ||
	bad "dropped $lost of $sig signalling messages, not about $LOSS %"
[ "$rtx" -gt 0 ] || bad "no retransmission under $LOSS % loss"

# Where each MN ended, and its prefixes there.
declare -A at=()
for mn in mn1 mn2; do
	line=$(tail -1 "$DMMLAB_RUN/moves.$mn")
	at[$mn]=$(echo "$line" | awk '{print $4}')
done
no_handovers() { [ "$(jq_ "$1" show handovers -- length)" = 0 ]; }
# Contexts expire (handover-context 2 s), acknowledgements settle.
for n in $MRS; do
	wait_until 10 no_handovers "$n" ||
		bad "$n: handover contexts left: $(ctl "$n" show handovers)"
done
# Signalling settles: no node has a request in flight, every retransmission
# answered or given up (a notification lost at the end of the last move
# reaches its subscriber up to 250+500+1000+2000 ms later: 4 retransmissions
# from 250 ms, doubling, capped at 2 s). All at once, in one pass.
quiet() {
	local n
	for n in $ROUTERS; do
		[ "$(counter "$n" requests_in_flight)" = 0 ] || return 1
	done
}
inflight() { for n in $ROUTERS; do echo -n " $n $(counter "$n" requests_in_flight)"; done; }
t0=$(date +%s.%N)
echo "requests in flight once the contexts expired:$(inflight)"
wait_until 20 quiet || bad "signalling still in flight after 20 s:$(inflight)"
echo "signalling settled $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s later"
check_mn() {
	local mn=$1 here=${at[$1]} loc p n r id
	loc=$(mr_addr "$here")
	id=$(jq_ "$here" show mns -- '.[] | select(.ifname == "'"$mn"'") | .mnid')
	[ -n "$id" ] || { bad "$mn not in $here's show mns"; return; }
	for n in $MRS; do
		[ "$n" = "$here" ] && continue
		r=$(x "$n" ip -6 route show table all | grep -w "dev $mn")
		[ -z "$r" ] || bad "$n: stale route to $mn's access link: $r"
		r=$(jq_ "$n" show mns -- ".[] | select(.mnid == \"$id\")")
		[ -z "$r" ] || bad "$n: stale show mns entry for $mn: $r"
	done
	for p in $(mn_all_prefixes "$mn" "$here"); do
		home=$(jq_ "$here" show mns -- ".[] | .prefixes[] | select(.prefix == \"$p\") | .home")
		pass_ok=$([ "$home" = "$loc" ] && echo pass || echo -)
		for n in $MRS; do
			[ "$n" = "$here" ] && continue
			# a tunnel to its MR, or "pass" (plain routing) if that is
			# the prefix's home (its anchor)
			r=$(jq_ "$n" show cache -- ".[] | select(.prefix == \"$p\") |
				if .state == \"pass\" then \"pass\" else .locator end" |
				grep -v -x -e "$loc" -e "$pass_ok")
			[ -z "$r" ] || bad "$n: location cache of $p: $r, $mn is at $here ($loc)"
			r=$(tunnel_routes "$n" "${p%%/*}")
			if [ -n "$r" ] && ! tunnel_route "$n" "$p" "$loc"; then
				bad "$n: tunnel route for $p not to $here: $r"
			fi
		done
		r=$(jq_ "$(lm_of "$p")" show bindings -- ".[] | select(.prefix == \"$p\") | .location")
		[ "$r" = "$loc" ] || bad "$(lm_of "$p") binds $p at '$r', $mn is at $here ($loc)"
		echo "$mn at $here: $p bound at $r"
	done
}
check_mn mn1
check_mn mn2
# And the data plane agrees: MN2 and the CN reach MN1 in each prefix.
for p in $(mn_prefixes mn1 "${at[mn1]}"); do
	a=$(mn_addr mn1 "$p") || continue
	x mn2 ping -6 -c2 -i0.2 -w5 "$a" >/dev/null || bad "mn2 cannot reach mn1 at $a"
done
[ $fail = 0 ] || dump $MRS lm1haa1
lab_result "$MOVES handovers under $LOSS % signalling loss completed, nothing stale"
