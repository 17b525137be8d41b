#!/bin/bash
# dmm-test: netns per-driver
# Linux data plane (dataplane/) in network namespaces, driven by tools/dptest.
#
#   M (MN)              A (MR, self fd00::1)              B (MR, self fd00::2)     S (server)
#   eth0 ------------- acc0  [dptest -a acc*]  core0 -- core0 [dptest] srv0 ----- eth0
#   SLAAC from A's RA        dmm0 (TUN)                       fd01::1           fd01::2,
#                                                                   2001:db8:2::1, 2001:db8:3::1
# (The server is not B itself: End.DX6 forwards only, it never delivers locally.)
# Checked: RS -> attach with the MN's MAC (attach-on rs); RA -> SLAAC address and MTU 1460 in M;
# a source-specific tunnel carries pings as IPv6-in-IPv6 on the wire (3
# packets each way, captured on B's core0) and decapsulated (seg6: exact
# End.DX6 route counters); throw route; miss -> tunnel added in the callback ->
# packet re-injected; miss without route -> dropped; hold + flush delivers,
# hold + drop does not; carrier loss and link removal -> detach; dp_close
# leaves no route, rule, TUN, tunsrc or tc program; a SIGKILLed instance's
# leftovers are removed by the next one.
# Drivers (lib_dptest.sh, DMM_DATAPLANE): A and B each run theirs (default:
# what auto takes); the shape of a tunnel route is the driver's: seg6
# encap.red, bpf an LWT-BPF program, tun a route into the TUN device.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/sh/lib_dmm.sh

skip() { echo "dp_routes: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip ping make mkfifo tcpdump; do
	command -v $t >/dev/null || { echo "FAIL: missing tool: $t (make deps)"; exit 1; }
done

T=$(mktemp -d /tmp/dp_routes.XXXXXX)
A=dmmdpA$$ B=dmmdpB$$ M=dmmdpM$$ S=dmmdpS$$ C=dmmdpC$$
PIDS=()
PROTO='proto 177'
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in $A $B $M $S $C; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	# DP_KEEP=1: leave the namespaces up for a look
	[ -n "${DP_KEEP:-}" ] && { echo "keeping A=$A B=$B M=$M S=$S"; sleep 600; }
	for f in "$T"/*.out; do echo "== $f"; tail -15 "$f"; done
	exit 1
}
pass() { echo "ok: $*"; }

# ---- build the driver ----
dmm_bins || fail "cannot build dptest (make san-daemon)"
BIN=$DPTEST

# ---- topology ----
for n in $A $B $M $S; do ip netns add $n; ip -n $n link set lo up; done
ip -n $A link add core0 type veth peer name core0 netns $B
ip -n $A link add acc0 type veth peer name eth0 netns $M
ip -n $A addr add fd00::1/64 dev core0 nodad
ip -n $B addr add fd00::2/64 dev core0 nodad
ip -n $A link set core0 up
ip -n $B link set core0 up
ip -n $B link add srv0 type veth peer name eth0 netns $S
ip -n $B addr add fd01::1/64 dev srv0 nodad
ip -n $B link set srv0 up
for a in fd01::2/64 2001:db8:2::1/64 2001:db8:3::1/64; do ip -n $S addr add $a dev eth0 nodad; done
ip -n $S link set eth0 up
ip -n $S -6 route add default via fd01::1
for n in $A $B; do ip netns exec $n sysctl -qw net.ipv6.conf.all.forwarding=1; done
ip netns exec $M sysctl -qw net.ipv6.conf.all.forwarding=0
for k in all default eth0; do
	ip netns exec $M sysctl -qw net.ipv6.conf.$k.accept_dad=0
	ip netns exec $M sysctl -qw net.ipv6.conf.$k.accept_ra=1
done
ip -n $M link set eth0 up
MAC=$(ip -n $M -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# ---- driver helpers ----
. "$(dirname "$0")/lib_dptest.sh"
wait_for() { wait_least "$1" "$2" 1 "$3"; }
decap_packets() { # netns self
	ip -n "$1" -s -6 route show table 4242 | grep "^$2 .*End.DX6" |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
check_clean() { # netns [after-crash]
	local r; r=$(ip -n "$1" -6 rule show | tr -s ' \t' ' ')
	[ "$r" = "$(printf '0: from all lookup local\n32766: from all lookup main')" ] ||
		fail "$1: rules not restored: $r"
	[ -z "$(ip -n "$1" -6 route show table 4242)" ] || fail "$1: routes left in table 4242"
	[ -z "$(ip -n "$1" -6 route show proto 177)" ] || fail "$1: proto 177 routes left"
	! ip -n "$1" link show dmm0 >/dev/null 2>&1 || fail "$1: dmm0 left"
	ip -n "$1" sr tunsrc show | grep -q 'tunsrc addr ::$' || fail "$1: tunsrc not reset"
	[ -z "$(ip netns exec "$1" tc filter show dev core0 ingress 2>/dev/null)" ] ||
		fail "$1: tc ingress filter left on core0"
	# A clsact qdisc that was there when dp opened is not dp's to remove
	# (it cannot tell a crashed instance's from another program's).
	if ip netns exec "$1" tc qdisc show dev core0 2>/dev/null | grep -q clsact; then
		[ -n "${2:-}" ] || fail "$1: clsact qdisc left on core0"
		echo "note: $1: the crashed instance's clsact qdisc stays (no filter in it)"
	fi
}
# A tunnel route to P via L as the driver of that side makes it (ERE).
tunnel_re() { # driver via
	case $1 in
	seg6) echo "encap seg6 mode encap.red segs 1 \[ $2 \] dev core0 $PROTO" ;;
	bpf) echo "encap bpf .*xmit.* $PROTO" ;;
	tun) echo "dev dmm0 $PROTO" ;;
	*) echo "unknown driver $1" ;;
	esac
}
# Count IPv6-in-IPv6 on B's core0, both directions (a packet socket sees
# the outer header before tc ingress and after LWT xmit, whatever the driver).
cap41_start() {
	ip netns exec $B tcpdump -i core0 -n -U --immediate-mode -Z root -w "$T/core41.pcap" 'ip6 proto 41' 2>"$T/tcpdump.err" &
	CAP=$!; PIDS+=($CAP)
	for ((i = 0; i < 50; i++)); do grep -q 'listening on' "$T/tcpdump.err" && break; sleep 0.1; done
}
cap41_count() { # src dst (after cap41_stop)
	tcpdump -r "$T/core41.pcap" -n 2>/dev/null | grep -c " $1 > $2: "
}
cap41_stop() { sleep 0.3; kill "$CAP"; wait "$CAP" 2>/dev/null; }

DRV_A=$(dp_driver_of a $A) DRV_B=$(dp_driver_of b $B)
echo "drivers: A $DRV_A, B $DRV_B (dptest $BIN)"

# ---- B: decapsulates, tunnels replies back to A ----
start_dp b $B -s fd00::2
cmd b tunnel add 2001:db8:1::/64 via fd00::1
cmd b local add 2001:db8:2::/64 dev srv0
cmd b local add 2001:db8:3::/64 dev srv0

# ---- A: access link, RS -> attach, RA -> SLAAC ----
# -R: attach on RS only (first-frame attach is dp_attach.sh's)
start_dp a $A -s fd00::1 -a 'acc*' -R
# What a freshly opened instance has (seg6: "1000 1001 1002 32766", one route)
RULES_A=$(ip -n $A -6 rule show | cut -d: -f1 | tr '\n' ' ')
ROUTES_A=$(ip -n $A -6 route show table 4242 | grep -c .)
[ $DRV_A != seg6 ] || [ "$RULES_A:$ROUTES_A" = "1000 1001 1002 32766 :1" ] ||
	fail "seg6 rules/routes at open: $RULES_A, $ROUTES_A routes"
ip -n $A link show acc0 | grep -q ',UP' || fail "acc0 not brought up"
wait_for a "^attach [0-9]+ $MAC\$" 10 || fail "no attach for $MAC"
expect_stat a rs_received 1
expect_stat a attach_frames 0
pass "RS on acc0 -> attach $MAC"
cmd a local add 2001:db8:1::/64 dev acc0
cmd a adv acc0 2001:db8:1::/64 600 300
for ((i = 0; i < 50; i++)); do
	ip -n $M -6 addr show dev eth0 | grep -q 'inet6 2001:db8:1:0:' && break
	sleep 0.1
done
ip -n $M -6 addr show dev eth0 | grep -q 'inet6 2001:db8:1:0:.*/64 scope global dynamic' ||
	fail "MN has no SLAAC address: $(ip -n $M -6 addr show dev eth0)"
[ "$(ip netns exec $M cat /proc/sys/net/ipv6/conf/eth0/mtu)" = 1460 ] || fail "RA MTU not 1460"
ip -n $M -6 route show default | grep -q 'via fe80::' || fail "MN has no default route"
MNA=$(ip -n $M -6 addr show dev eth0 | sed -n 's/.*inet6 \(2001:db8:1:[0-9a-f:]*\)\/64.*/\1/p')
pass "RA -> MN address $MNA, MTU 1460, default route"

# ---- tunnel: source-specific, the driver's encapsulation ----
cmd a tunnel add 2001:db8:2::/64 from 2001:db8:1::/64 via fd00::2
ip -n $A -6 route show table 4242 | grep -qE \
	"^2001:db8:2::/64 from 2001:db8:1::/64 +$(tunnel_re $DRV_A fd00::2)" ||
	fail "tunnel route ($DRV_A): $(ip -n $A -6 route show table 4242)"
if [ $DRV_A = seg6 ]; then
	ip -n $A sr tunsrc show | grep -q 'tunsrc addr fd00::1$' || fail "tunsrc not set"
fi
cap41_start
ip netns exec $M ping -6 -q -c 3 -i 0.2 -W 2 2001:db8:2::1 >/dev/null || fail "ping through tunnel"
cap41_stop
n=$(cap41_count fd00::1 fd00::2); [ "$n" = 3 ] || fail "$n IPv6-in-IPv6 packets A -> B, expected 3"
n=$(cap41_count fd00::2 fd00::1); [ "$n" = 3 ] || fail "$n IPv6-in-IPv6 packets B -> A, expected 3"
if [ $DRV_B = seg6 ]; then
	n=$(decap_packets $B fd00::2); [ "$n" = 3 ] || fail "B decapsulated $n packets, expected 3"
fi
if [ $DRV_A = seg6 ]; then
	n=$(decap_packets $A fd00::1); [ "$n" = 3 ] || fail "A decapsulated $n packets, expected 3"
fi
ip netns exec $B ping -6 -q -c 1 -W 2 fd00::1 >/dev/null || fail "plain traffic to self"
pass "tunnel carries 3 pings each way as IPv6-in-IPv6 ($DRV_A -> $DRV_B); self still reachable"

# ---- pass: throw route ----
cmd a pass add 2001:db8:9::/64
ip -n $A -6 route show table 4242 | grep -qE "^throw 2001:db8:9::/64 .*$PROTO" || fail "throw route"
cmd a pass del 2001:db8:9::/64
ip -n $A -6 route show table 4242 | grep -q '2001:db8:9::' && fail "throw route not deleted"
cmd a tunnel del 2001:db8:9::/64 # missing: not an error
pass "pass add/del, idempotent del"

# ---- miss: the callback installs a tunnel, the packet is re-injected ----
cmd a miss add 2001:db8:3::/64
ip -n $A -6 route show table 4242 | grep -qE "^2001:db8:3::/64 dev dmm0 $PROTO metric 1024" ||
	fail "miss route"
cmd a onmiss tunnel add 2001:db8:3::/64 via fd00::2
ip netns exec $M ping -6 -q -c 1 -W 3 2001:db8:3::1 >/dev/null || fail "ping after miss"
grep -q "^miss 2001:db8:3::1 $MNA\$" "$T/a.out" || fail "no miss event"
expect_stat a miss 1
# (tun: dmmd encapsulates the packet itself once the tunnel is there)
[ $DRV_A = tun ] || expect_stat a reinjected 1
ip -n $A -6 route show table 4242 | grep -qE "^2001:db8:3::/64 +$(tunnel_re $DRV_A fd00::2)" ||
	fail "miss route not replaced"
cmd a onmiss
cmd a miss add 2001:db8:4::/64
ip netns exec $M ping -6 -q -c 1 -W 1 2001:db8:4::1 >/dev/null && fail "ping to a miss w/o route"
expect_stat a miss_dropped 1
pass "miss -> tunnel -> re-injected; miss without route dropped"

# ---- hold: flush delivers, drop discards ----
cmd a tunnel del 2001:db8:2::/64 from 2001:db8:1::/64
cmd a tunnel add 2001:db8:2::/64 via fd00::2
cmd a hold start 2001:db8:2::/64
ip netns exec $M ping -6 -q -c 1 -W 6 2001:db8:2::1 >/dev/null & P=$!
sleep 1
expect_stat a held 1
cmd a hold flush 2001:db8:2::/64
wait $P || fail "held packet not delivered after flush"
expect_stat a flushed 1
cmd a hold start 2001:db8:2::/64
ip netns exec $M ping -6 -q -c 1 -W 2 2001:db8:2::1 >/dev/null & P=$!
sleep 0.7
cmd a hold drop 2001:db8:2::/64
wait $P && fail "dropped hold still delivered"
expect_stat a hold_dropped 1
ip -n $A -6 route show table 4242 | grep -q 'metric 1 ' && fail "hold route left"
pass "hold + flush delivered, hold + drop discarded"

# ---- detach: carrier loss, then the link moves away ----
IDX=$(ip netns exec $A cat /sys/class/net/acc0/ifindex)
ip -n $M link set eth0 down
wait_for a "^detach $IDX\$" 5 || fail "no detach on carrier loss"
ip netns add $C
ip -n $A link set acc0 netns $C
wait_count a "^detach $IDX\$" 2 5 || fail "no detach on link removal"
pass "carrier loss and removal -> detach"

# ---- close: nothing left ----
quit_dp a
check_clean $A
pass "dp_close left no route, rule, TUN, tunsrc or tc program"

# ---- crash: the next instance removes the leftovers ----
start_dp a2 $A -s fd00::1
cmd a2 tunnel add 2001:db8:2::/64 via fd00::2
kill -9 "${PID[a2]}"; wait "${PID[a2]}" 2>/dev/null
ip -n $A -6 rule show | grep -qE '^100[0-2]:' || fail "crash left no rules?"
if [ $DRV_A = tun ]; then
	# Its TUN device went with the process, the routes through it with it.
	! ip -n $A link show dmm0 >/dev/null 2>&1 || fail "dmm0 outlived its process"
else
	ip -n $A -6 route show table 4242 | grep -qE "^2001:db8:2::/64 +$(tunnel_re $DRV_A fd00::2)" ||
		fail "crash left no tunnel?"
fi
start_dp a3 $A -s fd00::1
if [ $DRV_A = seg6 ]; then
	grep -q 'removed 3 rules and 1 routes left by a previous instance' "$T/a3.out"
else
	grep -qE 'removed [0-9]+ rules and [0-9]+ routes left by a previous instance' "$T/a3.out"
fi || fail "stale rules not reported"
[ "$(ip -n $A -6 route show table 4242 | grep -c .)" = "$ROUTES_A" ] || fail "stale routes left"
[ "$(ip -n $A -6 rule show | cut -d: -f1 | tr '\n' ' ')" = "$RULES_A" ] ||
	fail "rules: $(ip -n $A -6 rule show), want $RULES_A"
quit_dp a3
check_clean $A after-crash
pass "SIGKILLed instance cleaned up by the next dp_open"

quit_dp b
check_clean $B
echo "dp_routes: all passed"
