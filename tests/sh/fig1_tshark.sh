#!/bin/bash
# dmm-test: netns per-driver
# Every signalling message that crosses the figure-1 core while the scenarios
# of fig1_attach, fig1_ro_query and fig1_handover run (attach, pings, moves
# MR12 -> MR11 -> MR2 with traffic, so context transfer, redirect and LM
# notification too) is captured on the core bridge and dissected by tshark:
# every packet must be a Mobility Header, none [Malformed Packet], no expert
# error, and every expert warning one of the known Wireshark 4.0 defects of
# tests/sh/tshark_messages.sh (K1-K3; TSHARK_STRICT=1 fails on those too).
# The message types of the procedures must all be there.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require tcpdump tshark

pcap=$DMMLAB_RUN/core.pcap
tpid=
LAB_CLEANUP_HOOK=stop_capture
stop_capture() { [ -n "$tpid" ] && kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; tpid=; }

# The capture must see the first attach: start it as soon as the bridge is
# there (dmmlab up creates it first; the MNs' carriers come last).
(
	for _ in $(seq 100); do
		ip netns exec "${DMMLAB_PREFIX}core" ip link show br0 >/dev/null 2>&1 && break
		sleep 0.02
	done
	exec ip netns exec "${DMMLAB_PREFIX}core" tcpdump -i br0 -U -w "$pcap" \
		'ip6 proto 135 or (ip6 and udp port 5436)' 2>/dev/null
) &
tpid=$!
lab_up
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1")
x mn2 ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x mn2 ping -6 -c 20 -i 0.05 -w5 -q "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
# 200 packets/s: some are always in flight to the pMR while MN1 moves, so
# that it redirects their sender (REDIRECT), whichever of it and LM1's
# LM_NOTIFY reaches MR31 first.
x mn2 ping -6 -c 600 -i 0.005 -w 10 -q "$a1" >/dev/null &
png=$!
sleep 1
$L -l $LAB move mn1 mr2 >/dev/null || bad "move mn1 mr2"
wait $png
wait_until 5 mn_ready mn1 mr2 || bad "mn1 not attached at mr2"
x cn ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "cn cannot ping mn1 at mr2"
sleep 2.5 # handover context expiry, acks
stop_capture

ts() { tshark -r "$pcap" "$@" 2>/dev/null; }
count() { ts -Y "$1" -T fields -e frame.number | grep -c .; }
npkt=$(count frame)
echo "$npkt signalling packets captured; by Mobility Header type:"
ts -Y mipv6 -T fields -e mip6.mhtype | sort -n | uniq -c
[ "$npkt" -ge 20 ] || bad "only $npkt packets captured"
[ "$(count mipv6)" -eq "$npkt" ] || bad "only $(count mipv6) of $npkt decoded as Mobility Header"
. "$(dirname "$0")/lib_tshark.sh"
ts_judge "$(ts_k3_frames)"
# PBU/PBA (HOA and LOC), Experimental (LOC_QUERY/REPLY, LM_FWD), HI/HAck
# (context transfer), LRI/LRA 17/18 (REDIRECT), UPN/UPA 19/20 (LM_NOTIFY).
for t in 5 6 11 14 15 17 18 19 20; do
	[ "$(count "mip6.mhtype == $t")" -gt 0 ] || bad "no Mobility Header type $t captured"
done

[ $fail = 0 ] || cp "$pcap" "build/test-logs/fig1_tshark${DMM_DATAPLANE:+.${DMM_DATAPLANE//[^a-z0-9]/_}}.pcap" 2>/dev/null
lab_result "$npkt captured signalling packets decode cleanly in tshark"
