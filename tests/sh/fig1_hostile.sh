#!/bin/bash
# dmm-test: netns
# Figure 1 under hostile signalling from an independent encoder: a rogue
# host on the core bridge (2001:db8:ff::99) runs tests/sh/hostile_mh.py,
# which builds Mobility Headers with scapy (Debian's python3-scapy) from
# docs/PROTOCOL.md alone, not with dmm's encoder, and sends them to MR11 and
# LM1+HAA1 over raw IPv6 (next header 135, with a correct checksum) and over
# UDP port 5436 (both signalling transports are on here): truncated, bad
# header and option lengths, option overruns and floods, unknown MH types
# and sub-types, no authenticator, random MACs, an unknown key id, and,
# sealed with the real domain key so that the body is decoded, stale and
# future timestamps, none at all, requests for the wrong role, a reply to
# nothing. Checked:
#   - both daemons stay up (same pid, the control socket answers) with no
#     sanitizer report;
#   - every message is counted: each target's rx counter rises by the number
#     sent to it, and each drop counter by the number of messages meant for
#     it (hostile_mh.py says which), so their sum too;
#   - no state changes: every table of every node (dmmctl -j show mns,
#     bindings, cache, leases, handovers, without the ageing fields) and
#     every MR's kernel table are the same before and after.
# Driver-independent: run once. Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require
PY=/usr/bin/python3 # Debian's: python3-scapy is installed for it
$PY -c 'import scapy.all' 2>/dev/null ||
	{ echo "FAIL: python3-scapy is not installed (scripts/deps.sh installs it: make deps)"; exit 1; }

lab_up "node-conf signalling both"
lab_rogue || bad "cannot set up the rogue host"

# Some state worth protecting: MN1 moved, traffic both ways.
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1")
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
x cn ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "cn cannot ping mn1 at mr11"
sleep 1.5 # handover context expiry (2 s from the move), acknowledgements

NODES="lm1haa1 lm2haa2 lm3 haa3 mr11 mr12 mr2 mrgw mr31 mr32"
snapshot() {
	local n w
	for n in $NODES; do
		for w in mns bindings cache leases handovers; do
			echo "$n $w $(ctl "$n" show $w 2>&1 | jq -c 'if type == "array" then
				map(del(.expires_ms, .age_ms)) else . end' 2>&1)"
		done
		case $n in mr*) x "$n" ip -6 route show table $TABLE | sed "s/^/$n route /" ;; esac
	done
}
snapshot >"$DMMLAB_RUN/before"
declare -A pid0 c0
for n in mr11 lm1haa1; do
	pid0[$n]=$(cat "$LABDIR/pids/$DMMLAB_PREFIX$n.dmmd.pid")
	c0[$n]=$(ctl $n show counters)
done

ip netns exec "$rogue" $PY tests/sh/hostile_mh.py "$LABDIR/keys" 2001:db8:ff::99 \
	2001:db8:ff::11=mr 2001:db8:ff::1=lm >"$DMMLAB_RUN/sent" 2>"$DMMLAB_RUN/sent.err" ||
	{ bad "hostile_mh.py failed"; cat "$DMMLAB_RUN/sent.err"; }
echo "sent: $(cat "$DMMLAB_RUN/sent")"

for n in mr11 lm1haa1; do
	addr=$(mr_addr $n)
	[ -n "$addr" ] || addr=2001:db8:ff::1
	want=$(jq -c --arg a "$addr" '.[$a].want' "$DMMLAB_RUN/sent")
	nsent=$(jq --arg a "$addr" '.[$a].sent.raw + .[$a].sent.udp' "$DMMLAB_RUN/sent")
	# Counted: rx by every message, each drop counter by its own.
	counted() {
		local c1
		c1=$(ctl $n show counters) || return 1
		jq -n --argjson a "${c0[$n]}" --argjson b "$c1" --argjson w "$want" --argjson s "$nsent" '
			($b.rx - $a.rx) == $s and
			([$b | keys[] | select(startswith("drop_"))] |
				all(. as $k | ($b[$k] - $a[$k]) == ($w[$k] // 0)))' | grep -qx true
	}
	if ! wait_until 10 counted; then
		bad "$n: counters do not match what was sent"
	fi
	c1=$(ctl $n show counters)
	echo "$n: sent $nsent, counted $(jq -n -c --argjson a "${c0[$n]}" --argjson b "$c1" '
		{rx: ($b.rx - $a.rx)} + ([$b | to_entries[] | select(.key | startswith("drop_")) |
		select(.value != $a[.key]) | {(.key): (.value - $a[.key])}] | add)'), want $want"
	# Up, the same process.
	[ "$(cat "$LABDIR/pids/$DMMLAB_PREFIX$n.dmmd.pid")" = "${pid0[$n]}" ] &&
		kill -0 "${pid0[$n]}" 2>/dev/null || bad "$n: dmmd (pid ${pid0[$n]}) is gone"
done
snapshot >"$DMMLAB_RUN/after"
diff -u "$DMMLAB_RUN/before" "$DMMLAB_RUN/after" >"$DMMLAB_RUN/diff" ||
	{ bad "state changed"; cat "$DMMLAB_RUN/diff"; }
echo "state of $(echo $NODES | wc -w) nodes compared: $(grep -c . "$DMMLAB_RUN/before") lines, unchanged"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 afterwards"
lab_result "hostile MHs from scapy: every one counted where it belongs, daemons up, no state changed"
