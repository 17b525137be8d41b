#!/bin/bash
# dmm-test: plain
# docs/BENCHMARKS.md's "Data plane" numbers are what the committed raw data
# (results/dataplane/: iperf3 JSON, ping output, route-programming runs,
# xlatebench) gives: lab/bench-dataplane-report.py --check recomputes the
# whole Measured block (tables, ratios, goals met or not) and fails on any
# difference, or if the data's own checks fail. No lab, a second.
set -u
cd "$(dirname "$0")/../.."
python3 lab/bench-dataplane-report.py --check docs/BENCHMARKS.md results/dataplane ||
	{ echo "FAIL: bench-dataplane-report.py --check"; exit 1; }
# the check must see a change: one digit of a ratio altered
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed '/^| bpf, routing locator | locator |/s/\*\*\([0-9]\)/**9\1/' docs/BENCHMARKS.md >"$tmp"
cmp -s "$tmp" docs/BENCHMARKS.md && { echo "FAIL: the test's edit changed nothing"; exit 1; }
python3 lab/bench-dataplane-report.py --check "$tmp" results/dataplane >/dev/null &&
	{ echo "FAIL: --check accepted an altered ratio"; exit 1; }
echo "bench_dataplane_check: ok"
