#!/bin/bash
# dmm-test: plain
# docs/BENCHMARKS.md's "Route programming at scale" block is what its
# committed raw data (bench/routes/DATE/runs/*.json, machine.txt) gives:
# lab/bench-routes-report.py --check recomputes every cell, ratio and goal
# verdict and fails on any difference. No namespaces, well under a second.
set -u
cd "$(dirname "$0")/../.."
python3 lab/bench-routes-report.py --check docs/BENCHMARKS.md ||
	{ echo "FAIL: bench-routes-report.py --check"; exit 1; }
echo "bench_routes_check: ok"
