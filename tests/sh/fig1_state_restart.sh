#!/bin/bash
# dmm-test: netns
# An LM or HAA restart loses no lease and no binding (issue 9, finding 7).
# On figure 1, MN1 and MN2 hold leases at lm1haa1 and haa3 and bindings at
# lm1haa1 and lm3 (lab configs have `state DIR`). Each of those dmmd is
# killed with SIGKILL (no chance to save anything at exit) and started again
# on the same configuration: every lease and binding is back with its MN
# id, prefix, location and expiry (within 5 s), the restore is logged, the
# LMDB store holds one record per lease and binding, and the MNs are still
# served; then MN1 moves MR12 -> MR11 and keeps its prefix (the restarted
# LM knew where it was). Not per driver: no MR restarts. Root only (else
# exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require mdb_stat

state_of() { # NODE: "kind prefix mnid [location] expires_ms" lines, sorted
	{
		ctl "$1" show leases | jq -r '.[] | "lease \(.prefix) \(.mnid) \(.expires_ms)"'
		ctl "$1" show bindings | jq -r '.[] | "binding \(.prefix) \(.mnid)@\(.location) \(.expires_ms)"'
	} 2>/dev/null | sort
}
restart_hard() { # NODE
	local n=$1 ns=$DMMLAB_PREFIX$1 pidf pid
	pidf=$LABDIR/pids/$ns.dmmd.pid
	pid=$(cat "$pidf")
	kill -KILL "$pid"
	wait_until 5 sh -c "! kill -0 $pid 2>/dev/null" || bad "$n: dmmd $pid survived SIGKILL"
	ip netns exec "$ns" "$DMMD" -d -f "$LABDIR/conf/$n.conf" >>"$LABDIR/logs/$n.log" 2>&1 &
	echo $! >"$pidf"
	wait_until 5 "$DMMCTL" -s "$LABDIR/$n.sock" show counters >/dev/null 2>&1 ||
		bad "$n: no control socket after the restart"
}

lab_up
p1=$(mn_prefixes mn1 mr12)
for n in lm1haa1 haa3 lm3; do
	before=$(state_of $n)
	[ -n "$before" ] || bad "$n holds no lease or binding before the restart"
	recs=$(mdb_stat -e "$LABDIR/state/$n" | awk '/Entries:/ {print $2}')
	[ "$recs" = "$(grep -c . <<<"$before")" ] ||
		bad "$n: the store has '$recs' records for $(grep -c . <<<"$before") leases and bindings"
	restart_hard $n
	after=$(state_of $n)
	# expiry in ms left: the restart takes a moment between the two reads
	if ! python3 - "$before" "$after" <<'PY'; then
import sys
def parse(t):
    return {tuple(l.split()[:3]): float(l.split()[3]) for l in t.splitlines() if l.strip()}
b, a = parse(sys.argv[1]), parse(sys.argv[2])
ok = b.keys() == a.keys() and all(abs(b[k] - a[k]) <= 5000 for k in b)
print("before", b, "\nafter ", a)
sys.exit(0 if ok else 1)
PY
		bad "$n: leases or bindings before and after the restart differ"
	fi
	grep -q "records restored" "$LABDIR/logs/$n.log" || bad "$n: no restore logged"
	note "$n: $(grep "records restored" "$LABDIR/logs/$n.log" | tail -1)"
done
# The MNs are still served: MN1 reaches MN2 through the tunnel.
a2=$(mn_addr mn2 "$(mn_prefixes mn2 mr31)") || bad "mn2 has no address"
x mn1 ping -6 -c 2 -W 2 "$a2" >/dev/null || bad "mn1 cannot reach mn2 after the restarts"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 10 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
[ "$(mn_prefixes mn1 mr11)" = "$p1" ] || bad "mn1 at mr11 has '$(mn_prefixes mn1 mr11)', want $p1"
lab_result "leases and bindings survive SIGKILL and restart (lm1haa1, haa3, lm3); mn1 moves and keeps $p1"
