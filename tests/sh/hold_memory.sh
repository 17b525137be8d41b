#!/bin/bash
# dmm-test: netns per-driver
# The global cap on held packets (dataplane { hold-memory }), on the
# figure-1 lab with every MR at hold-memory 128K:
#   MN1 moves mr12 -> mr11 while mr11's signalling is blocked for 1.5 s, so
#   mr12 holds MN1's packets far longer than usual, and MN2 (at mr31) sends
#   MN1 1400-byte UDP packets at 4000/s meanwhile (≈ 8 MB in the hold window).
# Checks: mr12 shows hold-memory 128K in its configuration; dp_held_bytes
# never exceeds 128 KiB while it holds (sampled), the packets beyond it are
# counted in dp_hold_memory_dropped (and dp_hold_dropped); once signalling passes again MN1 is served at mr11,
# reachable, and mr12 holds nothing (dp_held_bytes 0). Root only (else 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

CAP=131072
lab_up "node-conf dataplane { hold-memory 128K }"
ctl mr12 show config | jq -r .text | grep -q '^	hold-memory 128K$' ||
	bad "mr12 configuration has no hold-memory 128K"
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"

block() { # add|delete: raw MH and UDP signalling in and out of mr11
	local op=$1 c
	for c in INPUT OUTPUT; do
		x mr11 ip6tables -w "-${op:0:1}" $c -p 135 -j DROP
		x mr11 ip6tables -w "-${op:0:1}" $c -p udp --dport 5436 -j DROP
	done
}
block A
x mn2 "$BUILD/dmmprobe" send -6 "$a1" -p 9100 -r 4000 -d 4 -s 1400 >/dev/null 2>&1 &
snd=$!
sleep 0.5
$L -l $LAB move mn1 mr11 >/dev/null 2>&1 &
mv=$!
max=0 t0=$(date +%s%N)
while [ $(($(date +%s%N) - t0)) -lt 1500000000 ]; do
	b=$(counter mr12 dp_held_bytes)
	[ "$b" -gt "$max" ] && max=$b
	sleep 0.05
done
block D
wait $mv || echo "note: dmmlab move reported a late RA (signalling was blocked)"
wait $snd
echo "mr12 while holding: max dp_held_bytes $max (cap $CAP); counters $(ctl mr12 show counters |
	jq -c '{dp_held, dp_hold_dropped, dp_hold_memory_dropped, dp_hold_expired, dp_flushed, dp_held_bytes}')"
[ "$max" -gt 0 ] || bad "mr12 held nothing (the test did not exercise the hold)"
[ "$max" -le $CAP ] || bad "mr12 held $max bytes, over the 128 KiB cap"
[ "$(counter mr12 dp_hold_memory_dropped)" -gt 0 ] || bad "no packet dropped by the memory cap"
[ "$(counter mr12 dp_hold_dropped)" -ge "$(counter mr12 dp_hold_memory_dropped)" ] ||
	bad "dp_hold_dropped does not include the memory-cap drops"

wait_until 10 mn_ready mn1 mr11 || bad "mn1 not served at mr11 once signalling passes"
x mn2 ping -6 -c3 -i0.2 -w10 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
wait_for 5 '[ "$(counter mr12 dp_held_bytes)" = 0 ]' || bad "mr12 still holds $(counter mr12 dp_held_bytes) bytes"
lab_result "held bytes stayed under hold-memory (max $max), $(counter mr12 dp_hold_memory_dropped) packets dropped by the cap"
