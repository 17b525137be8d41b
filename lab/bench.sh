#!/bin/bash
# bench.sh: the handover benchmark of docs/BENCHMARKS.md ("Handover").
#
#   lab/bench.sh [--handovers N] [--pause S] [--down-ms N] [--out DIR] [CONFIG...]
#
# Every CONFIG is RATE:HOLD:MN (e.g. 10000:on:tuned); default: 1000:on:tuned
# 1000:off:tuned 10000:on:tuned 10000:off:tuned 1000:on:stock
# 1000:on:optimistic. For each, lab/demo.sh brings figure1 up, runs the four
# probe streams (MN2<->MN1, MN1<->CN) at RATE packets/s without the TCP
# transfer, and moves MN1 from MR12 to MR11 and then back and forth between
# MR11 and MR2 (N handovers in all, default 22, PAUSE s apart, default 1.5,
# 2.5 at 10k packets/s and more: the 2-vCPU reference machine, saturated by
# the four streams, cannot keep a 1.5 s schedule and moves slipped past the
# end of the streams, leaving too few handovers measured).
# Each run's folder holds the raw data and summary.json (median, p90, max
# per stream); the last step prints the BENCHMARKS.md table of all runs.
# Exit status: 0 when every run completed (whatever its verdict), 1 if one
# could not run.
set -u
cd "$(dirname "$0")/.."
N=22 PAUSE="" DOWN_MS=0 OUT=results/bench-$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
	case $1 in
	--handovers) N=$2; shift ;;
	--pause) PAUSE=$2; shift ;;
	--down-ms) DOWN_MS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "bench: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
CONFIGS=${*:-1000:on:tuned 1000:off:tuned 10000:on:tuned 10000:off:tuned 1000:on:stock 1000:on:optimistic}
moves="mr11"
for ((k = 1; k < N; k++)); do
	[ $((k % 2)) = 1 ] && moves="$moves mr2" || moves="$moves mr11"
done
mkdir -p "$OUT"
dirs=() fail=0
for c in $CONFIGS; do
	IFS=: read -r rate hold mn <<<"$c"
	d=$OUT/$rate-hold$hold-$mn
	pause=${PAUSE:-$([ "$rate" -ge 10000 ] && echo 2.5 || echo 1.5)}
	args=(--rate "$rate" --mn "$mn" --pause "$pause" --down-ms "$DOWN_MS" --no-tcp
		--moves "$moves" --out "$d")
	[ "$hold" = off ] && args+=(--no-hold)
	echo "bench: lab/demo.sh ${args[*]}"
	lab/demo.sh "${args[@]}" >"$d.out" 2>&1
	rc=$?
	tail -3 "$d.out"
	if [ $rc -ge 2 ] || [ ! -e "$d/summary.json" ]; then
		echo "bench: run $c failed (exit $rc), see $d.out" >&2
		fail=1
		continue
	fi
	dirs+=("$d")
done
[ ${#dirs[@]} -gt 0 ] && python3 lab/report.py --markdown "${dirs[@]}" | tee "$OUT/table.md"
echo "results: $(cd "$OUT" && pwd)"
exit $fail
