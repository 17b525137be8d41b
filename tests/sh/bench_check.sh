#!/bin/bash
# dmm-test: plain
# docs/BENCHMARKS.md's handover tables are what the committed raw data
# (bench/handover/RUN/CONFIG/: extract.csv.gz, lost.csv.gz, moves, link
# events) gives: lab/report.py --check recomputes every cell, and every
# handovers.csv, and fails on any difference. No lab, a few seconds.
# Also "The uplink at the L2 down stamp": in the kept run with the MN end's
# counters, lab/link-drops.py finds the MN namespace's Udp6SndbufErrors and
# the MR end's rx_dropped equal to the uplink loss in 19 of its 20 moves.
set -u
cd "$(dirname "$0")/../.."
python3 lab/report.py --check docs/BENCHMARKS.md || { echo "FAIL: report.py --check"; exit 1; }
eq=$(python3 lab/link-drops.py bench/handover/2026-12-06-edge-after/* | awk -F'|' '
	NR > 1 && NF == 4 { split($2, c, " "); split($3, l, " "); n++
		if (l[1] + l[3] + l[4] == c[3] && c[3] == c[4]) eq++ }
	END { print eq + 0 "/" n + 0 }')
[ "$eq" = 19/20 ] || { echo "FAIL: link-drops.py: counters equal to the uplink loss in $eq moves, want 19/20"; exit 1; }
echo "bench_check: ok"
