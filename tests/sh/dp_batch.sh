#!/bin/bash
# dmm-test: netns per-driver
# Batched route programming (dp_batch_begin/dp_batch_end, dataplane/dp.h),
# driven by tools/dptest ("batch CMD ; CMD ...": nothing else runs in
# between) in one namespace, self fd00::1 on core0, locators fd00::2 and
# fd00::3 on-link. Checked, for the driver under test:
#   - 300 TUNNEL adds, 100 of them deleted and 50 of those added again to
#     the other locator, all in one batch (3 sendmsgs): the kernel's table
#     holds exactly the 250 routes the ops leave, of the driver's kind, no
#     failure reported; deleting them all in a batch leaves none;
#   - failures are found and undone: the core link is replaced (a new
#     ifindex) inside a batch, after dp took its output device for two
#     queued adds. The bpf and seg6 drivers' tunnel routes name that device,
#     so the kernel refuses both (ENODEV): the batch reports 2 failed and dp adds
#     them again at once with the device looked up afresh, so they are in
#     the kernel; the tun driver's routes name the TUN and do not fail;
#   - a SIGKILLed instance's 300 tunnel routes (bpf: they stay in the
#     kernel; tun: they go with its TUN device) are removed by the next
#     instance's dp_open, in batches, which says how many it removed;
#   - dp_close (batched deletes) leaves no route in the table;
#   - a tunnel replacing a LOCAL route in a batch (the MN left): the packets
#     held since its access link went are routed again only once the
#     tunnel route is in the kernel: a ping from S, held, leaves on the
#     core link IPv6-in-IPv6 to the locator (captured), not back into the
#     TUN as a miss.
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh

[ "$(id -u)" = 0 ] || { echo "dp_batch: skipped: needs root"; exit 77; }
T=$(mktemp -d /tmp/dp_batch.XXXXXX)
A=dmmdpbatch$$ M=dmmdpbatchM$$ S=dmmdpbatchS$$
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in $A $M $S; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$T"/*.out; do echo "== $f"; tail -20 "$f"; done
	exit 1
}
dmm_bins || fail "cannot build dptest (make san-daemon)"
BIN=$DPTEST
. tests/sh/lib_dptest.sh

ip netns add $A
ip -n $A link set lo up
ip -n $A link add core0 type veth peer name core1
ip -n $A link set core0 up
ip -n $A link set core1 up
ip -n $A addr add fd00::1/64 dev core0 nodad
ip netns exec $A sysctl -qw net.ipv6.conf.all.forwarding=1
DRV=$(dp_driver_of a $A)
echo "driver: $DRV"
routes() { ip -n $A -6 route show table 4242 proto 177 | grep -c '^2001:db8:'; }
p() { printf '2001:db8:%x::/64' $((0x100 + $1)); }
# "batch" line: CMD for i in [from, to)
cmds() { # from to command-with-%P
	local i
	for ((i = $1; i < $2; i++)); do printf '%s ; ' "${3//%P/$(p $i)}"; done
}
batch() { # name line: the batch must report failed=N ($3)
	local before
	before=$(grep -c '^batch failed=' "$T/$1.out")
	cmd "$1" "batch $2"
	wait_least "$1" '^batch failed=' $((before + 1)) 5 || fail "$1: no batch answer"
	local got
	got=$(grep '^batch failed=' "$T/$1.out" | tail -1)
	[ "$got" = "batch failed=$3" ] || fail "$1: $got, expected batch failed=$3"
}

start_dp a $A -s fd00::1
batch a "$(cmds 0 300 'tunnel add %P via fd00::2')$(cmds 0 100 'tunnel del %P')$(cmds 0 50 'tunnel add %P via fd00::3')" 0
[ "$(routes)" = 250 ] || fail "after one batch of 450 ops: $(routes) routes, expected 250"
case $DRV in
bpf) kind='encap bpf .*xmit.* dev core0 proto 177' ;;
tun) kind='dev dmm0 proto 177' ;;
seg6) kind='encap seg6 .* dev core0 proto 177' ;;
*) kind='proto 177' ;;
esac
[ "$(ip -n $A -6 route show table 4242 | grep '^2001:db8:' | grep -cE "$kind")" = 250 ] ||
	fail "not every route is the $DRV driver's kind: $(ip -n $A -6 route show table 4242 | head -3)"
for i in 0 49 100 299; do
	ip -n $A -6 route show table 4242 | grep -q "^$(p $i) " || fail "$(p $i) missing"
done
for i in 50 99; do
	! ip -n $A -6 route show table 4242 | grep -q "^$(p $i) " ||
		fail "$(p $i) was deleted in the batch but is in the kernel"
done
expect_stat a nl_errors 0
batch a "$(cmds 0 300 'tunnel del %P')" 0
[ "$(routes)" = 0 ] || fail "after deleting them all in a batch: $(routes) routes left"
echo "ok: 450 ops in one batch, then 300 deletes: the kernel holds what they say"

# failures inside a batch: the core link replaced after dp took its device
relink='exec ip link del core0 && ip link add core0 type veth peer name core1 && ip link set core0 up && ip link set core1 up && ip addr add fd00::1/64 dev core0 nodad'
case $DRV in bpf | seg6) nfail=2 ;; *) nfail=0 ;; esac
batch a "tunnel add $(p 500) via fd00::2 ; $relink ; tunnel add $(p 501) via fd00::2" $nfail
[ "$(routes)" = 2 ] || fail "after the failed batch: $(routes) routes, expected 2 (added again)"
ip -n $A -6 route show table 4242 | grep -E "$kind" | grep -q "^$(p 500) " ||
	fail "$(p 500) not in the kernel after its batch failed"
expect_stat a nl_errors $nfail
batch a "tunnel del $(p 500) ; tunnel del $(p 501)" 0
[ "$(routes)" = 0 ] || fail "$(routes) routes left after deleting the two"
echo "ok: $nfail failed in a batch (core link replaced), added again: both routes in the kernel"

# dp_close removes its routes (batched)
batch a "$(cmds 0 200 'tunnel add %P via fd00::2')" 0
quit_dp a
[ "$(routes)" = 0 ] || fail "dp_close left $(routes) routes"
echo "ok: dp_close removed 200 routes"

# a crashed instance's routes, removed by the next one in batches
start_dp a2 $A -s fd00::1
batch a2 "$(cmds 0 300 'tunnel add %P via fd00::3')" 0
kill -9 "${PID[a2]}"
wait "${PID[a2]}" 2>/dev/null
left=$(routes)
case $DRV in
tun) [ "$left" = 0 ] || fail "tun: $left routes outlived the TUN device" ;;
*) [ "$left" = 300 ] || fail "after SIGKILL: $left routes, expected 300 left behind" ;;
esac
start_dp a3 $A -s fd00::1
[ "$(routes)" = 0 ] || fail "the next instance left $(routes) of the crashed one's routes"
if [ "$left" -gt 0 ]; then
	grep -q "removed [0-9]* rules and $left routes left by a previous instance" "$T/a3.out" ||
		fail "no 'removed ... $left routes' line: $(grep -m2 removed "$T/a3.out")"
fi
quit_dp a3
echo "ok: $left routes of a SIGKILLed instance removed by the next dp_open"

# held packets of a LOCAL route, routed again after the batch's tunnel
ip netns add $M
ip netns add $S
ip -n $A link add acc0 type veth peer name eth0 netns $M
ip -n $A link set acc0 up
ip -n $M link set eth0 up
ip -n $A link add srv0 type veth peer name eth0 netns $S
ip -n $A addr add fd01::1/64 dev srv0 nodad
ip -n $A link set srv0 up
ip -n $S addr add fd01::2/64 dev eth0 nodad
ip -n $S link set eth0 up
ip -n $S link set lo up
ip -n $S -6 route add default via fd01::1
# core1 moves to S, which forwards nothing; the locator answers no
# neighbour solicitation there: a permanent entry lets the encapsulated
# packet onto the wire, where core1 shows it
mac1=$(ip -n $A -o link show core1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n $A link set core1 netns $S
ip -n $S link set core1 up
ip -n $A link set core0 up
ip -n $A addr replace fd00::1/64 dev core0 nodad
ip -n $A -6 neigh replace fd00::2 lladdr "$mac1" dev core0 nud permanent
start_dp a4 $A -s fd00::1 -a 'acc*'
cmd a4 local add 2001:db8:9::/64 dev acc0
ip -n $M link del eth0 # the access link goes: the LOCAL route with it
wait_least a4 '^detach ' 1 5 || fail "no detach when acc0 went"
ip netns exec $S tcpdump -i core1 -n -U --immediate-mode -Z root -w "$T/c41.pcap" 'ip6 proto 41' 2>"$T/tcpdump.err" &
CAP=$!
PIDS+=($CAP)
for ((i = 0; i < 50; i++)); do grep -q 'listening on' "$T/tcpdump.err" && break; sleep 0.1; done
ip netns exec $S ping -6 -c1 -W1 2001:db8:9::1 >/dev/null 2>&1
for ((i = 0; i < 40; i++)); do [ "$(stat a4 held)" = 1 ] && break; sleep 0.05; done
expect_stat a4 held 1
batch a4 "tunnel add 2001:db8:9::/64 via fd00::2" 0
for ((i = 0; i < 40; i++)); do
	[ "$(tcpdump -r "$T/c41.pcap" -n 2>/dev/null | grep -c ' fd00::1 > fd00::2: ')" -ge 1 ] && break
	sleep 0.05
done
kill "$CAP"
wait "$CAP" 2>/dev/null
n41=$(tcpdump -r "$T/c41.pcap" -n 2>/dev/null | grep -c ' fd00::1 > fd00::2: ')
expect_stat a4 flushed 1
# routed by the kernel's new route, not back into the TUN as a miss (a
# daemon would have asked the LM again)
expect_stat a4 miss 0
[ "$n41" -ge 1 ] || fail "the held packet did not leave through the tunnel (proto 41 on core: $n41; $(stat a4 miss) misses)"
quit_dp a4
echo "ok: the held packet left through the batch's tunnel ($n41 IPv6-in-IPv6 on the core link)"
echo "dp_batch[$DRV]: ok"
