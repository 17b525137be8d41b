#!/bin/bash
# dmm-test: netns
# An HAA restart loses no lease (issue 9, finding 7). On figure 1, MN1 and
# MN2 hold leases at lm1haa1 and haa3 (lab configs have `state DIR`). Each
# of those dmmd is killed with SIGKILL (no chance to save anything at exit)
# and started again on the same configuration: every lease is back with its
# MN id, prefix and expiry (within a second), the restore is logged, the
# LMDB store holds one record per lease, and the node answers on its control
# socket with the data plane of the MRs untouched. Not per driver: no MR
# restarts. Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require mdb_stat

leases() { # NODE: "prefix mnid expires_s" lines, sorted
	ctl "$1" show leases | jq -r '.[] | "\(.prefix) \(.mnid) \(.expires_ms)"' | sort
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
for n in lm1haa1 haa3; do
	before=$(leases $n)
	[ -n "$before" ] || bad "$n holds no lease before the restart"
	recs=$(mdb_stat -e "$LABDIR/state/$n" | awk '/Entries:/ {print $2}')
	[ "$recs" = "$(grep -c . <<<"$before")" ] ||
		bad "$n: the store has '$recs' records for $(grep -c . <<<"$before") leases"
	restart_hard $n
	after=$(leases $n)
	# expiry in ms left: the restart takes a moment between the two reads
	if ! python3 - "$before" "$after" <<'PY'; then
import sys
def parse(t):
    return {tuple(l.split()[:2]): float(l.split()[2]) for l in t.splitlines() if l.strip()}
b, a = parse(sys.argv[1]), parse(sys.argv[2])
ok = b.keys() == a.keys() and all(abs(b[k] - a[k]) <= 5000 for k in b)
print("before", b, "\nafter ", a)
sys.exit(0 if ok else 1)
PY
		bad "$n: leases before and after the restart differ"
	fi
	grep -q "records restored" "$LABDIR/logs/$n.log" || bad "$n: no restore logged"
	note "$n: $(grep "records restored" "$LABDIR/logs/$n.log" | tail -1)"
done
# The MNs are still served: MN1 reaches MN2 through the tunnel.
a2=$(mn_addr mn2 "$(mn_prefixes mn2 mr31)") || bad "mn2 has no address"
x mn1 ping -6 -c 2 -W 2 "$a2" >/dev/null || bad "mn1 cannot reach mn2 after the restarts"
lab_result "HAA leases survive SIGKILL and restart (lm1haa1, haa3)"
