#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, P5 (figure 5): a TCP transfer (iperf3, MN2 at MR31 -> MN1) runs
# while MN1 moves MR11 -> MR2 (another local network), and completes.
#   - iperf3 ends without error and data still flows in its last second;
#   - the pMR MR11 tunnels in-flight/held packets to the nMR MR2 (MR11's
#     IPv6-in-IPv6 packets to MR2 counted by nftables, its data plane's
#     held/flushed or miss counters move, MR2 decapsulates: lib_lab.sh decap);
#   - the correspondent's MR31 is redirected: its location cache says MR2,
#     it tunnels to MR2; MR11 sent a REDIRECT or LM1 an LM_NOTIFY;
#   - MR11 created one handover context for the move and it is gone after
#     handover-context (2 s), with no tunnel route for the prefix left.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require iperf3

lab_up
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"

count41_setup mr31 mr11
red0=$(counter mr11 redirect) not0=$(counter lm1haa1 notify)
ctx0=$(counter mr11 ctx_created)
x mn1 iperf3 -s -1 -B "$a1" -p 5201 >"$DMMLAB_RUN/iperf-s" 2>&1 &
srv=$!
wait_until 10 listening mn1 5201 || bad "no server on mn1 port 5201"
x mn2 iperf3 -c "$a1" -p 5201 -t 5 -i 1 -J >"$DMMLAB_RUN/iperf.json" 2>&1 &
cli=$!
sleep 2
# Packets that must reach the pMR during the move, whatever TCP does: a
# window drained before the link went down and a REDIRECT faster than the
# first retransmission left MR11 nothing to forward (1 run in 7 on a loaded
# machine once the MN's router was announced at carrier-up).
x mn2 ping -6 -q -i 0.002 -w 3 "$a1" >/dev/null 2>&1 &
png=$!
sleep 0.5
$L -l $LAB move mn1 mr2 || bad "move mn1 mr2"
wait_until 5 mn_ready mn1 mr2 || bad "mn1 not attached at mr2"
# The context is temporary (2 s): count its creation rather than race to see
# it in the table, which a loaded machine can miss.
echo "mr11 handovers right after the move: $(ctl mr11 show handovers)"
ctx=$(($(counter mr11 ctx_created) - ctx0))
[ "$ctx" = 1 ] || bad "mr11 created $ctx handover contexts for the move, want 1"
wait $png
wait $cli || bad "iperf3 client failed: $(tail -5 "$DMMLAB_RUN/iperf.json")"
wait $srv || bad "iperf3 server failed: $(tail -5 "$DMMLAB_RUN/iperf-s")"
jq -r '.intervals[] | .sum | "\(.start|floor)-\(.end|floor)s \(.bytes) bytes \(.retransmits // 0) retr"' \
	"$DMMLAB_RUN/iperf.json"
rx=$(jq -r '.end.sum_received.bytes' "$DMMLAB_RUN/iperf.json")
last=$(jq -r '.intervals[-1].sum.bytes' "$DMMLAB_RUN/iperf.json")
echo "received $rx bytes, last interval $last"
[ "${rx:-0}" -gt 1000000 ] || bad "iperf3 received ${rx:-nothing} bytes"
[ "${last:-0}" -gt 0 ] || bad "no data in the last second of the transfer (after the move)"

# pMR: forwarded to the nMR; held or missed packets were re-sent.
t_pmr=$(count41 mr11 tx_mr2)
d_nmr=$(decap mr2)
echo "mr11 -> mr2 tunnel $t_pmr, mr2 decap $d_nmr, mr11 dp: $(ctl mr11 show counters |
	jq -c '{dp_held, dp_flushed, dp_miss, dp_reinjected, dp_hold_dropped}')"
[ "$t_pmr" -gt 0 ] || bad "pMR mr11 tunnelled nothing to nMR mr2"
[ "$d_nmr" -gt 0 ] || bad "nMR mr2 decapsulated nothing"
[ "$(counter mr11 dp_flushed)" -gt 0 ] || [ "$(counter mr11 dp_reinjected)" -gt 0 ] ||
	bad "pMR mr11 flushed/re-injected no held or missed packet"

# Correspondent's MR redirected to the nMR.
loc=$(jq_ mr31 show cache -- ".[] | select(.prefix == \"$p1\") | .locator")
[ "$loc" = 2001:db8:ff::20 ] || bad "mr31 caches $p1 at '$loc', want mr2"
# (counters count messages sent: REDIRECTs by the pMR, LM_NOTIFYs by LM1)
red=$(($(counter mr11 redirect) - red0)) not=$(($(counter lm1haa1 notify) - not0))
echo "mr11 sent $red REDIRECT, lm1 sent $not LM_NOTIFY; mr31 tunnel to mr2 $(count41 mr31 tx_mr2)"
[ $((red + not)) -gt 0 ] || bad "neither a REDIRECT from mr11 nor an LM_NOTIFY from lm1"
[ "$(count41 mr31 tx_mr2)" -gt 0 ] || bad "mr31 tunnelled nothing to mr2"
tunnel_route mr31 "$p1" 2001:db8:ff::20 || {
	bad "mr31 has no tunnel route for $p1 to mr2"; x mr31 ip -6 route show table $TABLE "$p1"; }

# Context gone after handover-context (2 s).
wait_for 5 '[ "$(jq_ mr11 show handovers -- length)" = 0 ]' ||
	bad "mr11 still has handover contexts: $(ctl mr11 show handovers)"
echo "mr11 handovers now: $(ctl mr11 show handovers)"
left=$(tunnel_routes mr11 "${p1%%::*}")
[ -z "$left" ] || bad "mr11 kept a tunnel route for $p1: $left"
[ "$(counter mr11 ctx_deleted)" -ge 1 ] || bad "mr11 ctx_deleted counter is 0"
[ $fail = 0 ] || dump mr11 mr2 mr31
lab_result "iperf3 mn2 -> mn1 survived the move mr11 -> mr2; pMR forwarded, mr31 redirected, context gone"
