#!/bin/bash
# dmm-test: netns per-driver
# An MR learns of an MN's arrival from the link itself (attach-on
# first-frame), not only from its Router Solicitation. Network namespaces,
# driven by tools/dptest (-T: event lines carry their monotonic time).
#
#   M (MN, stock Linux but router_solicitations=0: it never sends an RS)
#   eth0 =veth= acc1, which moves between P (parking, "the old MR") and
#   A (the MR, dptest -a 'acc*') like an access link in a handover.
#
# Checked, first-frame: each time acc1 arrives in A (down; dp brings it up),
# exactly one attach with the MN's exact MAC, soon after the carrier-up
# event (median of all delays <= 100 ms, each <= 300 ms: a loaded machine may
# delay one; an RS-driven attach would take ~1-2 s), with no RS (rs_received
# 0, attach_frames counts them); removal -> detach. The ADVERTISE right after the attach goes out at once (dp set
# accept_dad=0 on acc1 before bringing it up, so the link-local is never
# tentative) and the MN configures the prefix from this unsolicited RA. An
# MN-side carrier flap -> detach, then a new attach as soon. An
# ADVERTISE while the MR has no usable link-local (none, then a tentative
# one) is held and sent once DAD is over, never from the tentative address.
# Router link-local (dp_config.router_ll, default fe80::1): each time dp
# takes acc1 over it is acc1's only link-local (no EUI-64 one, although the
# link arrives with the kernel's default addr_gen_mode), the RA leaves from
# it (the MN's default router is fe80::1), and ND towards the MN works (the
# MR pings the MN's link-local). Removed: dp adds it back on the next
# ADVERTISE; tentative: the RA waits for it, never leaving from another
# link-local (fe80::2 beside it); dp_close removes it.
# attach-on rs (-R): the same flap gives no attach in 1.5 s; an RS does.
# Prints the measured carrier-up -> attach delays. dptest runs the driver
# DMM_DATAPLANE names (lib_dptest.sh), built with ASan+UBSan (DMM_SAN).
set -u
cd "$(dirname "$0")/../.."

. tests/sh/lib_dmm.sh
skip() { echo "dp_attach: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip make mkfifo awk; do
	command -v $t >/dev/null || { echo "FAIL: missing tool: $t (make deps)"; exit 1; }
done

T=$(mktemp -d /tmp/dp_attach.XXXXXX)
A=dmmatA$$ M=dmmatM$$ P=dmmatP$$
MAC=02:00:5e:10:00:01
MOVES=${DP_ATTACH_MOVES:-5}
MEDIAN_MS=${DP_ATTACH_MEDIAN_MS:-100}
MAX_MS=${DP_ATTACH_MAX_MS:-300}
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in $A $M $P; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$T"/*.out; do echo "== $f"; tail -25 "$f"; done
	exit 1
}
pass() { echo "ok: $*"; }

dmm_bins || fail "cannot build dptest (make san-daemon)"
BIN=$DPTEST

# ---- topology ----
for n in $A $M $P; do ip netns add $n; ip -n $n link set lo up; done
ip netns exec $A sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n $A addr add fd00::1/128 dev lo nodad
ip netns exec $M sysctl -qw net.ipv6.conf.all.forwarding=0
ip -n $M link add eth0 address $MAC type veth peer name acc1 netns $P
# A stock host (DAD on, accept_ra on) that never solicits.
ip netns exec $M sysctl -qw net.ipv6.conf.eth0.router_solicitations=0
ip netns exec $M sysctl -qw net.ipv6.conf.eth0.accept_ra=1
ip -n $M link set eth0 up
ip -n $P link set acc1 up
for ((i = 0; i < 60; i++)); do # the MN's link-local is configured (DAD done)
	ip -n $M -6 addr show dev eth0 | grep -q 'inet6 fe80::' &&
		! ip -n $M -6 addr show dev eth0 | grep -q tentative && break
	sleep 0.05
done

# ---- driver helpers ----
. "$(dirname "$0")/lib_dptest.sh"
wait_for() { wait_count "$1" "$2" 1 "$3"; } # exactly one
# The time (ms) on the nth line matching regex.
stamp_of() { # name regex n
	grep -E "$2" "$T/$1.out" | sed -n "$3p" | sed -n 's/.* @\([0-9.]*\)$/\1/p'
}
# Delay (ms, 1 decimal) from the nth carrier-up of acc1 to the nth attach.
delay_of() { # name n
	local up at
	up=$(stamp_of "$1" '^log 2 access link acc1: carrier up @' "$2")
	at=$(stamp_of "$1" "^attach [0-9]+ $MAC @" "$2")
	[ -n "$up" ] && [ -n "$at" ] || fail "no timestamps for attach $2"
	awk -v a="$at" -v u="$up" 'BEGIN { printf "%.1f\n", a - u }'
}
within() { # ms [max]: ms <= max (default MAX_MS)
	awk -v d="$1" -v m="${2:-$MAX_MS}" 'BEGIN { exit !(d <= m) }'
}

# ---- first-frame: handovers P -> A ----
start_dp a $A -s fd00::1 -a 'acc*' -T
DELAYS=()
for ((k = 1; k <= MOVES; k++)); do
	ip -n $P link set acc1 netns $A
	wait_count a "^attach [0-9]+ $MAC @" $k 3 || fail "move $k: no attach for $MAC"
	grep -E '^attach ' "$T/a.out" | grep -vqE "^attach [0-9]+ $MAC @" &&
		fail "attach with a MAC other than the MN's"
	IDX=$(ip netns exec $A cat /sys/class/net/acc1/ifindex)
	grep -qE "^attach $IDX $MAC @" "$T/a.out" || fail "attach not on acc1 ($IDX)"
	d=$(delay_of a $k)
	DELAYS+=("$d")
	within "$d" || fail "move $k: attach $d ms after carrier up (> $MAX_MS ms)"
	lls=$(ip -n $A -6 -o addr show dev acc1 scope link | awk '{ print $4 }' | tr '\n' ' ')
	[ "$lls" = "fe80::1/64 " ] || fail "move $k: acc1 link-locals '$lls', expected fe80::1/64 only"
	if [ $k = 1 ]; then
		# The RA right away: no waiting for a link-local address.
		cmd a adv acc1 2001:db8:1::/64 600 300
		expect_stat a ra_sent 1
		for ((i = 0; i < 60; i++)); do
			ip -n $M -6 addr show dev eth0 | grep -q 'inet6 2001:db8:1:' && break
			sleep 0.05
		done
		ip -n $M -6 addr show dev eth0 | grep -q \
			"inet6 2001:db8:1::5eff:fe10:1/64 scope global .*dynamic" ||
			fail "MN did not configure the prefix: $(ip -n $M -6 addr show dev eth0)"
		r=$(ip -n $M -6 route show default)
		[[ "$r" = "default via fe80::1 dev eth0 "* ]] && [ "$(grep -c . <<<"$r")" = 1 ] ||
			fail "MN's default router is not fe80::1 only: $r"
		MNLL=$(ip -n $M -6 -o addr show dev eth0 scope link | awk '{ sub("/.*", "", $4); print $4 }')
		ip netns exec $A ping -6 -c 1 -W 2 "$MNLL%acc1" >/dev/null ||
			fail "the MR cannot reach the MN's $MNLL (ND from fe80::1)"
		pass "ADVERTISE sent at once (ra_sent 1) from fe80::1; MN took 2001:db8:1::/64 unsolicited, default via fe80::1; MR reaches the MN by ND"
		sleep 1.5 # more MLD reports, DAD: still one attach
		[ "$(grep -cE '^attach ' "$T/a.out")" = 1 ] || fail "more than one attach"
	fi
	ndet=$(grep -cE '^log 2 access link acc1 \([0-9]+\) removed' "$T/a.out")
	ip -n $A link set acc1 netns $P
	wait_least a '^log 2 access link acc1 \([0-9]+\) removed' $((ndet + 1)) 3 &&
		wait_least a "^detach $IDX @" $((2 * k)) 3 || fail "move $k: no detach on removal"
	# (dptest names no tunnel peers: dp_open's warning about that is expected)
	grep '^log [01] ' "$T/a.out" | grep -qv 'lists no MR' && fail "an error or warning was logged"
	ip -n $P link set acc1 up
	sleep 0.3
done
expect_stat a rs_received 0
expect_stat a attach_frames $MOVES
pass "$MOVES moves: one attach each with $MAC, no RS; carrier up -> attach (ms): ${DELAYS[*]}"

# ---- first-frame: MN-side carrier flap on a link that stays in A ----
ip -n $P link set acc1 netns $A
wait_count a "^attach [0-9]+ $MAC @" $((MOVES + 1)) 3 || fail "no attach after the last move"
IDX=$(ip netns exec $A cat /sys/class/net/acc1/ifindex)
ndet=$(grep -cE "^detach $IDX @" "$T/a.out")
ip -n $M link set eth0 down
wait_count a "^detach $IDX @" $((ndet + 1)) 3 || fail "no detach on carrier loss"
ip -n $M link set eth0 up
wait_count a "^attach [0-9]+ $MAC @" $((MOVES + 2)) 3 || fail "no attach after carrier flap"
d=$(delay_of a $((MOVES + 2)))
within "$d" || fail "flap: attach $d ms after carrier up"
DELAYS+=("$d")
med=$(printf '%s\n' "${DELAYS[@]}" | sort -n | awk '{ v[NR] = $1 }
	END { printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
within "$med" "$MEDIAN_MS" || fail "median carrier up -> attach $med ms (> $MEDIAN_MS ms)"
expect_stat a rs_received 0
pass "MN-side carrier flap: detach, then attach $d ms after carrier up (re-armed)"

# ---- an ADVERTISE while the router link-local is missing, then tentative ----
adv_sent_from_fe80_1() { # prefix ra_count: the RA went out, the MN took it from fe80::1
	for ((i = 0; i < 60; i++)); do
		[ "$(stat a ra_sent)" = "$2" ] && break
		sleep 0.05
	done
	expect_stat a ra_sent "$2"
	for ((i = 0; i < 60; i++)); do
		ip -n $M -6 addr show dev eth0 | grep -q "inet6 $1" && break
		sleep 0.05
	done
	ip -n $M -6 addr show dev eth0 | grep -q "inet6 $1:5eff:fe10:1/64 scope global" ||
		fail "MN did not take the RA for $1: $(ip -n $M -6 addr show dev eth0)"
	r=$(ip -n $M -6 route show default)
	[[ "$r" = "default via fe80::1 dev eth0 "* ]] && [ "$(grep -c . <<<"$r")" = 1 ] ||
		fail "MN's default router is not fe80::1 only: $r"
}
ra0=$(stat a ra_sent)
ip -n $A addr flush dev acc1 scope link
cmd a adv acc1 2001:db8:2::/64 600 300
adv_sent_from_fe80_1 2001:db8:2: $((ra0 + 1))
ip -n $A -6 -o addr show dev acc1 | grep -q 'fe80::1/64 scope link' ||
	fail "fe80::1 not restored: $(ip -n $A -6 addr show dev acc1)"
pass "ADVERTISE after the router link-local was removed: restored, RA from fe80::1"
ip -n $A addr flush dev acc1 scope link
ip -n $A addr add fe80::2/64 dev acc1 nodad
ip netns exec $A sysctl -qw net.ipv6.conf.acc1.accept_dad=1
# DAD of three NSs 500 ms apart: tentative for 1.5 s or more. With the
# kernel's one NS (100 ms on the access link) the ADVERTISE command itself
# could outlast DAD on a loaded machine, and nothing was left to check.
ip netns exec $A sysctl -qw net.ipv6.conf.acc1.dad_transmits=3
ip netns exec $A sysctl -qw net.ipv6.neigh.acc1.retrans_time_ms=500
ip -n $A addr add fe80::1/64 dev acc1
ip -n $A -6 addr show dev acc1 | grep -q 'fe80::1/64 scope link tentative' ||
	fail "fe80::1 not tentative: $(ip -n $A -6 addr show dev acc1)"
cmd a adv acc1 2001:db8:3::/64 600 300
# Not from fe80::2, not from a tentative fe80::1. DAD ends at a random time
# (up to rtr_solicit_delay, then the NSs set above),
# so no fixed sleep: ra_sent read first, then the address seen still
# tentative, proves nothing went out while it was.
held=0
for ((i = 0; i < 600; i++)); do
	n=$(stat a ra_sent)
	ip -n $A -6 addr show dev acc1 | grep -q 'fe80::1/64 scope link tentative' || break
	[ "$n" = $((ra0 + 1)) ] || fail "RA sent while fe80::1 was tentative (ra_sent $n)"
	held=$((held + 1))
	sleep 0.01
done
[ $held -gt 0 ] || fail "fe80::1 was never seen tentative after the ADVERTISE"
ip netns exec $A sysctl -qw net.ipv6.conf.acc1.dad_transmits=1
adv_sent_from_fe80_1 2001:db8:3: $((ra0 + 2))
ip -n $A -6 -o addr show dev acc1 | grep -q 'fe80::2/64' && fail "fe80::2 left on acc1"
pass "ADVERTISE while fe80::1 is tentative: held, sent from it once DAD is over (not from fe80::2)"
quit_dp a
ip -n $A -6 -o addr show dev acc1 | grep -q 'fe80::1/64' &&
	fail "dp_close left fe80::1 on acc1: $(ip -n $A -6 addr show dev acc1)"
pass "dp_close removed the router link-local"

# ---- attach-on rs: no attach without an RS ----
start_dp r $A -s fd00::1 -a 'acc*' -T -R
nup=$(grep -c ': carrier up @' "$T/r.out") # 1: dp_open saw the link with carrier
ip -n $M link set eth0 down
wait_for r '^log 2 access link acc1: carrier lost @' 3 || fail "rs: no carrier loss"
ip -n $M link set eth0 up
wait_least r '^log 2 access link acc1: carrier up @' $((nup + 1)) 3 || fail "rs: no carrier up"
sleep 1.5
[ "$(grep -cE '^attach ' "$T/r.out")" = 0 ] || fail "attach-on rs attached without an RS"
expect_stat r attach_frames 0
# Now let the MN solicit (right after its link-local is ready).
for k in router_solicitations=1 router_solicitation_delay=0 accept_dad=0; do
	ip netns exec $M sysctl -qw net.ipv6.conf.eth0.$k
done
ip -n $M link set eth0 down
ip -n $M link set eth0 up
wait_for r "^attach [0-9]+ $MAC @" 5 || fail "rs: no attach on the RS"
expect_stat r rs_received 1
expect_stat r attach_frames 0
pass "attach-on rs: no attach in 1.5 s without an RS; the RS attaches $MAC"
quit_dp r

echo "dp_attach: all passed (carrier up -> attach, ms: ${DELAYS[*]}; median $med)"
