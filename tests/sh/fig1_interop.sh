#!/bin/bash
# dmm-test: netns
# Figure 1 with a mix of data-plane drivers: MRs with different drivers
# carry each other's tunnels (all of them plain IPv6-in-IPv6, RFC 2473).
# The mix, from what this kernel runs (dmmd -P): K = bpf, else seg6, else
# tun; S = seg6, else K:
#     mr11 K, mr2 tun, mr31 S, mr12 S, every other MR K
# (here, without seg6: mr2 tun, every other MR bpf). MN2 first moves to
# MR32 (K), so that both directions are tunnelled. Then an iperf3 TCP
# transfer MN2 -> MN1 runs while MN1 moves MR12 -> MR11 -> MR2 -> MR12:
# MR32 tunnels the data to MN1's MR and that MR the ACKs back, the pMR
# forwards in-flight packets to the nMR, whatever their drivers.
#   - each MR runs the driver the lab gave it (dmmctl show config);
#   - after each move MN2 and CN ping MN1, MN1 pings CN, and the new MR
#     (away from home) decapsulates packets;
#   - MR2 (tun) and MR32 (K) tunnel to each other, and decapsulate;
#   - the TCP session survives all three moves: iperf3 ends without error,
#     bytes received, data in its last second.
# Runs once, not per driver (tests/run.sh). Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require iperf3

probe=$("$DMMD" -P 2>&1) || { echo "FAIL: dmmd -P: $probe"; exit 1; }
has() { grep -q "^$1 yes" <<<"$probe"; }
K=tun S=
has seg6 && K=seg6
has bpf && K=bpf
S=$K
has seg6 && S=seg6
export DMM_DATAPLANE="mr11=$K,mr2=tun,mr31=$S,mr12=$S,*=$K"
note "dmmd -P: $(tr '\n' ';' <<<"$probe"); mix $DMM_DATAPLANE"

lab_up
for mr in mr11 mr12 mr2 mrgw mr31 mr32; do
	want=$(dmm_driver $mr) got=$(node_driver $mr)
	echo "$mr: data plane $got"
	[ "$got" = "$want" ] || bad "$mr runs data plane '$got', want $want"
done
cn=2001:db8:100::1
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at home (mr12)"
$L -l $LAB move mn2 mr32 >/dev/null || bad "move mn2 mr32"
wait_until 5 mn_ready mn2 mr32 || bad "mn2 not attached at mr32"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 at mr32 cannot ping mn1 at home (mr12)"
count41_setup mr32 mr11 mr2 mr12
d32=$(decap mr32)

x mn1 iperf3 -s -1 -B "$a1" -p 5201 >"$DMMLAB_RUN/iperf-s" 2>&1 &
srv=$!
wait_until 10 listening mn1 5201 || bad "no iperf3 server on mn1"
x mn2 iperf3 -c "$a1" -p 5201 -t 11 -i 1 -J >"$DMMLAB_RUN/iperf.json" 2>&1 &
cli=$!
sleep 2
for to in mr11 mr2 mr12; do
	d0=$(decap $to)
	$L -l $LAB move mn1 $to >/dev/null || bad "move mn1 $to"
	wait_until 5 mn_ready mn1 $to || bad "mn1 not attached at $to ($(node_driver $to))"
	x mn2 ping -6 -c 3 -i 0.2 -w 5 -q "$a1" >/dev/null || bad "mn2 cannot ping mn1 at $to"
	x cn ping -6 -c 3 -i 0.2 -w 5 -q "$a1" >/dev/null || bad "cn cannot ping mn1 at $to"
	x mn1 ping -6 -c 2 -i 0.2 -w 5 -q "$cn" >/dev/null || bad "mn1 at $to cannot ping cn"
	d=$(($(decap $to) - d0))
	echo "mn1 at $to ($(node_driver $to)): $to decapsulated $d packets; tunnelled so far:" \
		"mr32 to mr11 $(count41 mr32 tx_mr11), to mr2 $(count41 mr32 tx_mr2);" \
		"mr11 to mr32 $(count41 mr11 tx_mr32), to mr2 $(count41 mr11 tx_mr2);" \
		"mr2 to mr32 $(count41 mr2 tx_mr32), to mr12 $(count41 mr2 tx_mr12)"
	[ $to = mr12 ] || [ "$d" -gt 0 ] || bad "$to ($(node_driver $to)) decapsulated nothing"
	sleep 1.5
done
wait $cli || bad "iperf3 client failed: $(tail -5 "$DMMLAB_RUN/iperf.json")"
wait $srv || bad "iperf3 server failed: $(tail -5 "$DMMLAB_RUN/iperf-s")"
jq -r '.intervals[] | .sum | "\(.start|floor)-\(.end|floor)s \(.bytes) bytes \(.retransmits // 0) retr"' \
	"$DMMLAB_RUN/iperf.json"
rx=$(jq -r '.end.sum_received.bytes' "$DMMLAB_RUN/iperf.json")
last=$(jq -r '.intervals[-1].sum.bytes' "$DMMLAB_RUN/iperf.json")
echo "received $rx bytes, last interval $last"
[ "${rx:-0}" -gt 0 ] || bad "iperf3 received ${rx:-nothing} bytes"
[ "${last:-0}" -gt 0 ] || bad "no data in the last second of the transfer"
[ "$(count41 mr32 tx_mr2)" -gt 0 ] || bad "mr32 ($K) tunnelled nothing to mr2 (tun)"
[ "$(count41 mr2 tx_mr32)" -gt 0 ] || bad "mr2 (tun) tunnelled nothing to mr32 ($K)"
[ "$(count41 mr32 tx_mr11)" -gt 0 ] || bad "mr32 ($K) tunnelled nothing to mr11 ($K)"
[ "$(count41 mr11 tx_mr32)" -gt 0 ] || bad "mr11 ($K) tunnelled nothing to mr32 ($K)"
d32=$(($(decap mr32) - d32))
echo "mr32 decapsulated $d32 packets"
[ "$d32" -gt 0 ] || bad "mr32 ($K) decapsulated nothing"
[ $fail = 0 ] || dump mr11 mr2 mr12 mr31
lab_result "mixed drivers ($DMM_DATAPLANE): TCP mn2 (mr32) -> mn1 survived mr12 -> mr11 -> mr2 -> mr12; pings after each move"
