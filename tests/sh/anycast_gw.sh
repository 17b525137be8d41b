#!/bin/bash
# dmm-test: netns
# Anycast gateways (draft section 5; lab/topologies/anycast.topo): gw1 and
# gw2, in two local networks, announce 2001:db8::/46 into OSPFv3 (BIRD)
# through the kernel while their LM answers; the core routers r1 and r2
# route it to the nearest one. Checks, with real pings and nftables
# counters on the gateways (packets from each server's prefix entering,
# IPv6-in-IPv6 leaving for each MR). MN1 moves from its anchor MR31 to MR32
# first, so a gateway must find it as a correspondent's MR does:
#   1. s1 (behind r1) reaches MN1 through gw1 only, s2 (behind r2) through
#      gw2 only, each gateway tunnelling to MR32;
#   2. health: with gw1's LM stopped (SIGSTOP) gw1 withdraws its route
#      within anycast-dead and s1's traffic enters at gw2; the LM back, gw1
#      announces again and s1 returns to it;
#   3. gw1's dmmd killed (SIGKILL) under a 100 packets/s flow from s1: the
#      route goes with dmmd's TUN device and the flow moves to gw2; the time
#      from the kill to the first packet at gw2 (OSPF convergence) is
#      measured and printed;
#   4. gw2's dmmd stopped (SIGTERM): it removes its route at exit, and with
#      no gateway left r2 loses the aggregate.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require bird birdc
LAB=anycast
LABDIR=$DMMLAB_RUN/$LAB
AGG=2001:db8::/46
S1NET=2001:db8:101::/64 S2NET=2001:db8:102::/64

# Short timers: retransmissions and the probe (anycast-probe 500ms,
# anycast-dead 1500ms) as the topology has them.
$L -l $LAB up lab/topologies/anycast.topo --build "$BUILD" --dmmd "$DMMD" ||
	{ echo "FAIL: dmmlab up"; exit 1; }
stopped_lm=""
resume_lm() { [ -n "$stopped_lm" ] && kill -CONT "$stopped_lm" 2>/dev/null; stopped_lm=""; }
LAB_CLEANUP_HOOK=resume_lm

pid_of() { cat "$LABDIR/pids/$DMMLAB_PREFIX$1.dmmd.pid"; }
# The aggregate's route in NODE's main table: "dev IF" of the learned (r*)
# or announced (gw*) route, nothing if none.
agg_dev() { x "$1" ip -6 route show "$AGG" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -1; }
via() { [ "$(agg_dev "$1")" = "$2" ]; }
announced() { x "$1" ip -6 route show "$AGG" proto "$PROTO" | grep -q "dev dmm0"; }
no_route() { [ -z "$(agg_dev "$1")" ]; }
cnt() { # NODE COUNTER: packets of an nftables counter of table inet anyc
	x "$1" nft -j list counter inet anyc "$2" |
		jq -r '.nftables[] | select(.counter) | .counter.packets'
}
ms_now() { echo $(($(date +%s%N) / 1000000)); }

wait_until 15 mn_ready mn1 mr31 || bad "mn1 not attached at mr31 with an address"
p1=$(mn_prefixes mn1 mr31)
a1=$(mn_addr mn1 "$p1") || { bad "mn1 has no address in '$p1'"; lab_result; }
$L -l $LAB move mn1 mr32 >/dev/null || bad "move mn1 mr32"
wait_until 10 mn_ready mn1 mr32 || bad "mn1 not attached at mr32"
count41_setup gw1 gw2
for g in gw1 gw2; do
	x $g nft -f - <<EOF || bad "nft on $g"
table inet anyc {
	counter s1 { }
	counter s2 { }
	chain pre {
		type filter hook prerouting priority raw;
		ip6 saddr $S1NET ip6 daddr $AGG counter name s1
		ip6 saddr $S2NET ip6 daddr $AGG counter name s2
	}
}
EOF
done

note "1. each server enters at its nearest gateway"
t0=$(ms_now)
wait_until 20 via r1 o-gw1 || bad "r1 has no OSPF route for $AGG via gw1: '$(agg_dev r1)'"
wait_until 20 via r2 o-gw2 || bad "r2 has no OSPF route for $AGG via gw2: '$(agg_dev r2)'"
echo "OSPF up: r1 -> $(agg_dev r1), r2 -> $(agg_dev r2) ($(($(ms_now) - t0)) ms after the lab)"
announced gw1 || bad "gw1 has no route $AGG dev dmm0 proto $PROTO"
announced gw2 || bad "gw2 has no route $AGG dev dmm0 proto $PROTO"
x s1 ping -6 -c 20 -i 0.02 -w 5 -q "$a1" >/dev/null || bad "s1 -> mn1 pings lost"
x s2 ping -6 -c 20 -i 0.02 -w 5 -q "$a1" >/dev/null || bad "s2 -> mn1 pings lost"
g1s1=$(cnt gw1 s1) g1s2=$(cnt gw1 s2) g2s1=$(cnt gw2 s1) g2s2=$(cnt gw2 s2)
t1=$(count41 gw1 tx_mr32) t2=$(count41 gw2 tx_mr32)
echo "entered: gw1 s1=$g1s1 s2=$g1s2, gw2 s1=$g2s1 s2=$g2s2 (20 pings each);" \
	"tunnelled to mr32: gw1 $t1, gw2 $t2"
[ "$t1" -ge 20 ] && [ "$t2" -ge 20 ] || bad "the gateways did not tunnel to mn1's MR mr32"
[ "$g1s1" -ge 20 ] && [ "$g2s1" = 0 ] || bad "s1's pings did not all enter at gw1"
[ "$g2s2" -ge 20 ] && [ "$g1s2" = 0 ] || bad "s2's pings did not all enter at gw2"

note "2. gw1's LM silent: gw1 withdraws, s1 moves to gw2; LM back: s1 returns"
stopped_lm=$(pid_of lm1haa1)
t0=$(ms_now)
no_announce_gw1() { ! announced gw1; }
kill -STOP "$stopped_lm"
wait_until 10 no_announce_gw1 || bad "gw1 still announces with its LM stopped"
t1=$(ms_now)
wait_until 10 via r1 o-r2 || bad "r1 did not move $AGG to r2: '$(agg_dev r1)'"
t2=$(ms_now)
echo "LM stopped: gw1 withdrew after $((t1 - t0)) ms (anycast-dead 1500ms), r1 rerouted" \
	"$((t2 - t1)) ms later"
b1=$(cnt gw1 s1) b2=$(cnt gw2 s1)
x s1 ping -6 -c 20 -i 0.02 -w 5 -q "$a1" >/dev/null || bad "s1 -> mn1 pings lost through gw2"
d1=$(($(cnt gw1 s1) - b1)) d2=$(($(cnt gw2 s1) - b2))
echo "s1's 20 pings entered: gw1 $d1, gw2 $d2"
[ "$d2" -ge 20 ] && [ "$d1" = 0 ] || bad "s1 did not enter at gw2 with gw1 withdrawn"
t0=$(ms_now)
resume_lm
wait_until 10 announced gw1 || bad "gw1 did not announce again with its LM back"
wait_until 10 via r1 o-gw1 || bad "r1 did not return to gw1: '$(agg_dev r1)'"
echo "LM back: r1 -> gw1 again after $(($(ms_now) - t0)) ms"
b1=$(cnt gw1 s1) b2=$(cnt gw2 s1)
x s1 ping -6 -c 20 -i 0.02 -w 5 -q "$a1" >/dev/null || bad "s1 -> mn1 pings lost back at gw1"
d1=$(($(cnt gw1 s1) - b1)) d2=$(($(cnt gw2 s1) - b2))
[ "$d1" -ge 20 ] && [ "$d2" = 0 ] || bad "s1 did not return to gw1 (gw1 $d1, gw2 $d2)"

note "3. gw1's dmmd killed (SIGKILL) under s1's flow: convergence"
x s1 ping -6 -i 0.01 -w 15 -q "$a1" >"$DMMLAB_RUN/flow.txt" 2>&1 &
flow=$!
b1=$(cnt gw1 s1)
flowing() { [ "$(cnt gw1 s1)" -gt $((b1 + 20)) ]; }
wait_until 5 flowing || bad "s1's flow does not reach gw1"
b2=$(cnt gw2 s1)
gw1=$(pid_of gw1)
t0=$(ms_now)
kill -KILL "$gw1"
t_moved="" t_route=""
for ((i = 0; i < 500; i++)); do
	now=$(ms_now)
	[ -z "$t_route" ] && via r1 o-r2 && t_route=$((now - t0))
	[ -z "$t_moved" ] && [ "$(cnt gw2 s1)" -gt "$b2" ] && t_moved=$((now - t0))
	[ -n "$t_route" ] && [ -n "$t_moved" ] && break
	sleep 0.02
done
announced gw1 && bad "gw1's route outlived its dmmd"
flowing2() { [ "$(cnt gw2 s1)" -gt $((b2 + 20)) ]; }
wait_until 5 flowing2 || bad "s1's flow does not go on through gw2"
kill -INT "$flow" # its summary: packets lost in the move
wait "$flow"
sent=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' \
	"$DMMLAB_RUN/flow.txt")
echo "CONVERGENCE: gw1 killed -> r1 routes via r2 after ${t_route:-never} ms," \
	"first s1 packet at gw2 after ${t_moved:-never} ms; flow sent/received: $sent"
[ -n "$t_moved" ] || bad "s1's traffic never entered at gw2"
[ -n "$t_route" ] || bad "r1 never rerouted $AGG"
# BIRD's OSPF runs its route calculation once a second (tick 1): a moved
# flow later than 5 s is not convergence but a fault.
[ -n "$t_moved" ] && [ "$t_moved" -le 5000 ] || bad "convergence took ${t_moved:-forever} ms"

note "4. gw2's dmmd stopped (SIGTERM): route removed at exit, r2 loses $AGG"
kill -TERM "$(pid_of gw2)"
no_announce_gw2() { ! announced gw2; }
t0=$(ms_now)
wait_until 5 no_announce_gw2 || bad "gw2's route stayed after SIGTERM"
wait_until 10 no_route r2 || bad "r2 still routes $AGG: '$(agg_dev r2)'"
echo "gw2 stopped: r2 without $AGG after $(($(ms_now) - t0)) ms"
grep -h "anycast:" "$LABDIR"/logs/gw1.log "$LABDIR"/logs/gw2.log | sed 's/^/  /'
[ $fail = 0 ] || { x r1 ip -6 route; birdc -s "$LABDIR/r1.bird.ctl" show route all; }
lab_result "each server enters at its nearest anycast gateway; a silent LM or a dead dmmd moves it to the other"
