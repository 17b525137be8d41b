#!/bin/bash
# dmm-test: netns
# dmmlab builds the figure 1 testbed, moves an MN, and leaves nothing behind,
# also when `up` is killed with SIGKILL half-way. Root only (else exit 77).
#
#   up --no-daemons: 14 namespaces, MN1 pings fe80::1 (its MR) over eth0
#                    with its MAC from the topology; static routes carry
#                    mr11 -> cn; link delay mr12 <-> mr31 5 ms each way
#   move mn1 mr11:   interface mn1 now in mr11's namespace, not mr12's; the
#                    MN still pings fe80::1; --down-ms 200 holds it down
#   down:            no namespace with the prefix, no process, no state
#   kill -9 of up:   down --all still removes everything
# Namespaces use a private prefix and state dir, so a running lab is safe.
set -u
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 77; }
for c in ip nft ip6tables python3; do
	command -v $c >/dev/null || { echo "needs $c"; exit 77; }
done
export DMMLAB_PREFIX="dmmt$$-" DMMLAB_RUN
DMMLAB_RUN=$(mktemp -d)
L=lab/dmmlab
fail=0
bad() { echo "FAIL: $*"; fail=1; }
our_ns() { ip netns list | awk '{print $1}' | grep "^$DMMLAB_PREFIX"; }
cleanup() {
	$L down --all >/dev/null 2>&1
	for n in $(our_ns); do ip netns del "$n"; done
	rm -rf "$DMMLAB_RUN"
}
trap cleanup EXIT

if grep -q 'tools/build.mk' Makefile; then make -s build/nfqdelay
else make -s -f Makefile -f tools/build.mk build/nfqdelay; fi || exit 1

# ---- up
$L up figure1 --no-daemons || { bad "up failed"; exit 1; }
[ "$(our_ns | wc -l)" = 14 ] || bad "$(our_ns | wc -l) namespaces, want 14"
pids=$(cat "$DMMLAB_RUN"/figure1/pids/*.pid)
[ -n "$pids" ] || bad "no nfqdelay started"
for p in $pids; do kill -0 "$p" || bad "process $p not running"; done
$L status

x() { $L exec "$@"; }
[ "$(x mn1 cat /sys/class/net/eth0/address)" = 02:00:00:00:00:01 ] || bad "mn1 MAC"
x mr12 ip link show mn1 >/dev/null 2>&1 || bad "mn1 access interface not in mr12"
x mn1 ping -6 -c1 -w3 -I eth0 fe80::1 >/dev/null 2>&1 || bad "mn1 cannot ping its MR"
x mr11 ping -6 -c1 -w3 2001:db8:100::1 >/dev/null || bad "mr11 cannot reach cn"
rtt=$(x mr12 ping -6 -c3 -i0.2 -w3 2001:db8:ff::31 | sed -n 's/.*= \([0-9.]*\)\/.*/\1/p')
echo "mr12 -> mr31 rtt min $rtt ms"
python3 -c "import sys; sys.exit(not 10 <= float('${rtt:-0}') < 20)" || bad "mr12-mr31 rtt $rtt, want 10..20"
[ "$(x mr11 sysctl -n net.ipv6.conf.all.forwarding)" = 1 ] || bad "forwarding off on mr11"

# ---- move
out=$($L move mn1 mr11) || bad "move failed"
echo "$out"
echo "$out" | grep -q '"from": "mr12", "to": "mr11"' || bad "move output: $out"
x mr11 ip link show mn1 >/dev/null 2>&1 || bad "mn1 not in mr11 after move"
x mr12 ip link show mn1 >/dev/null 2>&1 && bad "mn1 still in mr12 after move"
x mn1 ping -6 -c1 -w3 -I eth0 fe80::1 >/dev/null 2>&1 || bad "mn1 cannot ping its new MR"
$L move mn1 mr11 2>/dev/null && bad "move to the same MR accepted"
$L move mn1 nosuch 2>/dev/null && bad "move to an unknown node accepted"
out=$($L move mn1 mr12 --down-ms 200) || bad "move --down-ms failed"
held=$(echo "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print((j["up_ns"]-j["down_ns"])//1000000)')
[ "${held:-0}" -ge 200 ] || bad "--down-ms 200 held the link ${held} ms"
$L status | grep -q "mn1 at mr12" || bad "status does not show mn1 at mr12"

# ---- down
$L down figure1 || bad "down failed"
[ -z "$(our_ns)" ] || bad "namespaces left: $(our_ns | tr '\n' ' ')"
for p in $pids; do [ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status && bad "process $p left"; done
[ -e "$DMMLAB_RUN/figure1" ] && bad "state dir left"

# ---- kill -9 of up half-way
$L up figure1 --no-daemons >/dev/null 2>&1 &
up=$!
for _ in $(seq 100); do [ "$(our_ns | wc -l)" -ge 4 ] && break; sleep 0.02; done
kill -9 $up
wait $up 2>/dev/null
n=$(our_ns | wc -l)
echo "killed up with $n namespaces made"
[ "$n" -ge 1 ] || bad "kill test did not catch up half-way"
inside=$(for ns in $(our_ns); do ip netns pids "$ns"; done)
$L down --all || bad "down --all failed"
[ -z "$(our_ns)" ] || bad "after kill -9: namespaces left: $(our_ns | tr '\n' ' ')"
[ -z "$(ls "$DMMLAB_RUN")" ] || bad "after kill -9: state left: $(ls "$DMMLAB_RUN")"
for p in $inside; do
	[ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status && bad "after kill -9: process $p left"
done

[ $fail = 0 ] && echo "ok: lab up, ping, move, down, down after kill -9"
exit $fail
