#!/bin/bash
# dmm-test: netns
# dmmsim against the netns lab, on figure 1: the scenario of
# tests/sim/fig1_lab.trace (both MNs attach, MN2 sends to MN1, MN1 moves
# MR12 -> MR11 -> MR2 -> MR12, sends to the fixed server) run by
# build/dmmsim --fig1 and by the real daemons of the figure-1 lab, whose
# signalling is captured on the core bridge and named by tshark with dmm's
# Lua dissector, must give the same messages: for every phase of the
# scenario (one trace line), the same messages (type, sender, receiver),
# and between any two nodes the same order, up to messages the simulator
# sends at the same millisecond (but for the start-up, where the lab
# attaches both MNs at once, in an order of its own: the same messages
# there). The lab's server prefix is made part of local network 2's
# prefixes, as in the simulator's figure 1 (tests/lib/fig1.c), so that an
# MR looks the server up in the LM (P6) rather than routing to the gateway
# as the plain lab does. The lab waits for its signalling to
# settle (no message for QUIET seconds) before each next step, so a
# phase's messages are its own. Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require tcpdump tshark
SIM=$BUILD/dmmsim
[ -x "$SIM" ] || { echo "FAIL: build $SIM first (make)"; exit 1; }
TRACE=tests/sim/fig1_lab.trace
QUIET=${QUIET:-0.5}
pcap=$DMMLAB_RUN/core.pcap
steps=$DMMLAB_RUN/steps

# settle: wait until the capture has grown by nothing for QUIET seconds
# (tcpdump -U writes each packet as it sees it), at most 15 s.
settle() {
	local last=-1 size since now
	since=$(date +%s.%N)
	for _ in $(seq 300); do
		size=$(stat -c %s "$pcap" 2>/dev/null || echo 0)
		now=$(date +%s.%N)
		if [ "$size" != "$last" ]; then
			last=$size since=$now
		elif python3 -c "import sys; sys.exit(0 if $now - $since >= $QUIET else 1)"; then
			return 0
		fi
		sleep 0.05
	done
	bad "signalling did not settle within 15 s"
}
step() { echo "$(date +%s.%N) $*" >>"$steps"; }
send() { # send FROM-NS DST: one UDP datagram to port 9 (dropped there)
	x "$1" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"dmm", (sys.argv[1], 9))' "$2" || bad "$1 could not send to $2"
}
move() {
	$L -l $LAB move mn1 "$1" >/dev/null || bad "move mn1 $1"
	wait_until 10 mn_ready mn1 "$1" || bad "mn1 not attached at $1"
}

TOPO_SRC=$DMMLAB_RUN/figure1-p6.topo
sed 's|^network ln2 prefix 2001:db8:2::/48$|& 2001:db8:100::/40|' lab/topologies/figure1.topo >"$TOPO_SRC"
grep -q '^network ln2 prefix 2001:db8:2::/48 2001:db8:100::/40$' "$TOPO_SRC" ||
	{ echo "FAIL: figure1.topo has no 'network ln2 prefix 2001:db8:2::/48' line"; exit 1; }

start_capture "$pcap"
# Retransmissions are timing, not the protocol's sequence: a first
# retransmission after 2 s, longer than any phase's exchange here.
lab_up "timers-conf retransmit 2s max 4s count 4"
step "up"
# Nothing answers the probes: no ICMP error goes back (it would be a
# packet of its own, to a destination the simulator never sends to).
for n in mn1 cn; do
	x $n ip6tables -A INPUT -p udp --dport 9 -j DROP || bad "ip6tables in $n"
done
a1=$(mn_addr mn1 "$(mn_prefixes mn1 mr12)")
[ -n "$a1" ] || bad "no address of mn1"
settle

step "3.0 send"; send mn2 "$a1"; settle
step "4.0 move mr11"; move mr11; settle
step "6.0 send"; send mn2 "$a1"; settle
step "7.0 move mr2"; move mr2; settle
step "9.0 send"; send mn2 "$a1"; settle
step "10.0 send server"; send mn1 2001:db8:100::1; settle
step "11.0 move mr12"; move mr12; settle
step "13.0 send"; send mn2 "$a1"; settle
stop_capture
# P6 as in the simulator: LM2 binds the server prefix at MRGW
fx=$(jq_ lm2haa2 show bindings -- '.[] | select(.fixed) | "\(.prefix) \(.location)"')
[ "$fx" = "2001:db8:100::/48 2001:db8:ff::29" ] || bad "lm2 fixed binding '$fx', want 2001:db8:100::/48 at mrgw"

$SIM --fig1 --trace "$TRACE" -t 15 --mode query --msglog "$DMMLAB_RUN/sim.log" \
	-o "$DMMLAB_RUN/sim" >/dev/null || bad "dmmsim exited $?"
tshark -X lua_script:tools/wireshark/dmm.lua -r "$pcap" -Y dmm -T fields \
	-e frame.time_epoch -e ipv6.src -e ipv6.dst -e dmm.type \
	>"$DMMLAB_RUN/lab.tsv" 2>/dev/null || bad "tshark"
python3 tests/sh/sim_lab_compare.py "$DMMLAB_RUN/sim.log" "$DMMLAB_RUN/lab.tsv" \
	"$steps" "$DMMLAB_RUN/$LAB.topo" "$TRACE" || fail=1
[ $fail = 0 ] || cp "$pcap" build/test-logs/sim_lab.pcap 2>/dev/null
lab_result "dmmsim and the lab exchange the same messages in the same order"
