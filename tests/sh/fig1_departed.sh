#!/bin/bash
# dmm-test: netns per-driver
# Figure 1: MN1 leaves MR12 (carrier lost) and attaches nowhere. MN2 keeps
# pinging it. The anchor MR12 must not loop: the LM still says MN1 is at
# MR12, so the held packets of an anchor miss, re-routed, would miss again
# and query the LM again (a signalling storm, ~10 queries per packet before
# core/mr_cache.c dropped them). At most one miss and one LM query per ping,
# no re-injected packet, and once MN1 comes back MN2 reaches it again.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

lab_up
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1")
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1"
x mr12 ip link set mn1 down
wait_for 5 '[ "$(jq_ mr12 show mns -- length)" = 0 ]' || bad "mr12 did not see mn1 leave"
sleep 1.5 # hold (1 s) runs out: the anchor's miss route is back
c0=$(ctl mr12 show counters)
out=$(x mn2 ping -6 -c5 -i0.3 -w3 "$a1") && bad "mn1 answered while attached nowhere"
sent=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
sleep 0.5
c1=$(ctl mr12 show counters)
d() { jq -n --argjson a "$c0" --argjson b "$c1" "\$b.$1 - \$a.$1"; }
echo "mr12 during $sent pings to the departed mn1: miss +$(d dp_miss), query +$(d query)," \
	"reinjected +$(d dp_reinjected), hold dropped +$(d dp_hold_dropped)"
[ "$(d query)" -le "$sent" ] || bad "mr12 sent $(d query) LM queries for $sent packets"
[ "$(d dp_miss)" -le "$sent" ] || bad "mr12 had $(d dp_miss) misses for $sent packets"
[ "$(d dp_reinjected)" -eq 0 ] || bad "mr12 re-injected $(d dp_reinjected) packets into a miss loop"

$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x mn2 ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot reach mn1 once it is back (mr11)"
[ $fail = 0 ] || dump mr12
lab_result "no miss loop at the anchor for a departed MN; reachable again once attached"
