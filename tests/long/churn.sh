#!/bin/bash
# make churn: a long churn on the figure-1 lab (plus four more MNs) under
# the ASan/LSan daemons (build/san/dmmd), CHURN_SECONDS long (default 600).
# Not part of make check (it is long); run it by hand or in a nightly job.
# Six MNs, chosen at random, one operation after another:
#   - move to another MR (any of MR11, MR12, MR2, MR31, MR32: within and
#     across local networks), then a ping from the MN to the CN;
#   - leave: its link goes down at the MR for 1-3 s (the MR detaches it),
#     then comes back (it attaches again), then a ping;
# while every dmmd's resident memory (VmRSS) is sampled every 5 s.
# Checked:
#   - every daemon is still the same process at the end;
#   - flat memory: for each daemon, after a warm-up (the first fifth of the
#     run, while ASan's quarantine, capped here at 16 MiB, fills), the mean
#     RSS of the last third exceeds that of the first third by at most
#     max(2 MiB, 5 %);
#   - no leak: at the end every dmmd gets SIGTERM and LeakSanitizer reports
#     nothing (lib_lab.sh checks every log for sanitizer reports);
# and prints the operations done, the pings that failed (not asserted: a
# ping right after a move under heavy load may be late) and the RSS series.
# DMM_SAN=0 runs the -O2 build instead (glibc's allocator: RSS then follows
# the heap, not ASan's quarantine and allocation-stack depot).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=16}
. "$(dirname "$0")/../sh/lib_lab.sh"
lab_require

SECS=${CHURN_SECONDS:-600}
MNS="mn1 mn2 mn3 mn4 mn5 mn6"
MRS="mr11 mr12 mr2 mr31 mr32"
# wait_secs SECS CMD...: poll CMD until it succeeds, for SECS seconds of
# wall time (wait_until counts polls, each slow under a loaded ASan lab).
wait_secs() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
# MN's prefixes at MR and its addresses in them (lib_lab.sh's mn_ready
# takes every MN of the MR: here several MNs share one).
ready() {
	local p n=0
	for p in $(jq_ "$2" show mns -- ".[] | select(.ifname == \"$1\") | .prefixes[] |
		select(.deprecated | not) | .prefix"); do
		mn_addr "$1" "$p" >/dev/null || return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}
lab_up "node mn3 mn at mr11 id 02:00:00:00:00:03" "node mn4 mn at mr2 id 02:00:00:00:00:04" \
	"node mn5 mn at mr32 id 02:00:00:00:00:05" "node mn6 mn at mr2 id 02:00:00:00:00:06"
fail=0 # lab_up's 10 s for MN1 and MN2: given 30 s below, as the others
declare -A at=([mn1]=mr12 [mn2]=mr31 [mn3]=mr11 [mn4]=mr2 [mn5]=mr32 [mn6]=mr2)
for mn in $MNS; do
	wait_secs 30 ready $mn "${at[$mn]}" || bad "$mn not attached at ${at[$mn]}"
done
ROUTERS="lm1haa1 lm2haa2 lm3 haa3 mr11 mr12 mr2 mrgw mr31 mr32"
declare -A pid
for n in $ROUTERS; do pid[$n]=$(cat "$LABDIR/pids/$DMMLAB_PREFIX$n.dmmd.pid"); done

# RSS sampler: "seconds node kB" lines.
rss=$DMMLAB_RUN/rss
(
	t0=$SECONDS
	while :; do
		for n in $ROUTERS; do
			echo "$((SECONDS - t0)) $n $(awk '/^VmRSS/ { print $2 }' /proc/${pid[$n]}/status 2>/dev/null)"
		done
		sleep 5
	done
) >"$rss" &
sampler=$!
LAB_CLEANUP_HOOK=sampler_stop
sampler_stop() { kill $sampler 2>/dev/null; wait $sampler 2>/dev/null; }

moves=0 leaves=0 pings=0 lost=0 late=0
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ]; do
	mn=$(shuf -n1 -e $MNS)
	if [ $((RANDOM % 4)) -lt 3 ]; then
		mr=$(shuf -n1 -e $(echo $MRS | tr ' ' '\n' | grep -vx "${at[$mn]}"))
		$L -l $LAB move "$mn" "$mr" >/dev/null 2>&1
		at[$mn]=$mr
		moves=$((moves + 1))
	else
		x "${at[$mn]}" ip link set "$mn" down
		sleep "$((1 + RANDOM % 3))"
		x "${at[$mn]}" ip link set "$mn" up
		leaves=$((leaves + 1))
	fi
	wait_secs 15 ready "$mn" "${at[$mn]}" || late=$((late + 1))
	pings=$((pings + 1))
	x "$mn" ping -6 -c1 -w3 2001:db8:100::1 >/dev/null 2>&1 || lost=$((lost + 1))
done
sampler_stop
LAB_CLEANUP_HOOK=
echo "churn ${SECS}s: $moves moves, $leaves leave/return ($late not ready within 15 s), $pings pings to the CN after them, $lost failed"

for n in $ROUTERS; do
	kill -0 "${pid[$n]}" 2>/dev/null || bad "$n: dmmd (pid ${pid[$n]}) died"
done
python3 - "$rss" "$SECS" <<'EOF' || bad "memory not flat"
import sys
from collections import defaultdict
path, secs = sys.argv[1], float(sys.argv[2])
series = defaultdict(list)
for line in open(path):
    w = line.split()
    if len(w) == 3:
        series[w[1]].append((int(w[0]), int(w[2])))
ok = True
for node, s in sorted(series.items()):
    s = [(t, kb) for t, kb in s if t >= secs / 5]
    if len(s) < 6:
        print("%s: too few samples (%d)" % (node, len(s)))
        ok = False
        continue
    k = len(s) // 3
    first = sum(kb for _, kb in s[:k]) / k
    last = sum(kb for _, kb in s[-k:]) / k
    limit = max(2048, first * 0.05)
    verdict = "ok" if last - first <= limit else "GROWS"
    ok = ok and verdict == "ok"
    print("%-8s RSS kB: first third %.0f, last third %.0f, growth %+.0f (limit %.0f) %s; samples %s"
          % (node, first, last, last - first, limit, verdict,
             " ".join(str(kb) for _, kb in s[::max(1, len(s) // 8)])))
sys.exit(0 if ok else 1)
EOF
if [ "$DMM_SAN" = 1 ]; then
	lab_result "churn ${SECS}s under ASan/LSan: daemons up, memory flat (leaks checked at exit)"
else
	lab_result "churn ${SECS}s (DMM_SAN=0: $DMMD): daemons up, memory flat"
fi
