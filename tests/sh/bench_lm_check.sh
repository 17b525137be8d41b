#!/bin/bash
# dmm-test: plain
# docs/BENCHMARKS.md's "Location management" blocks (the main run and the
# start-up run) are what their committed raw data (bench/lm/DIR/rows.jsonl)
# gives: lab/bench-lm-report.py --check recomputes every cell, ratio and
# goal verdict of each block and fails on any difference; the same for the
# blocks of lab/bench-lm-ab-report.py (this build against a baseline,
# bench/lm-ab/DIR/rows.jsonl). No namespaces, well under a second.
set -u
cd "$(dirname "$0")/../.."
python3 lab/bench-lm-report.py --check docs/BENCHMARKS.md ||
	{ echo "FAIL: bench-lm-report.py --check"; exit 1; }
python3 lab/bench-lm-mem-report.py --check docs/BENCHMARKS.md ||
	{ echo "FAIL: bench-lm-mem-report.py --check"; exit 1; }
python3 lab/bench-lm-ab-report.py --check docs/BENCHMARKS.md ||
	{ echo "FAIL: bench-lm-ab-report.py --check"; exit 1; }
echo "bench_lm_check: ok"
