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

signalling_scenario "$pcap"

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
