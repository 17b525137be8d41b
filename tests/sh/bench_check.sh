#!/bin/bash
# dmm-test: plain
# docs/BENCHMARKS.md's handover tables are what the committed raw data
# (bench/handover/RUN/CONFIG/: extract.csv.gz, lost.csv.gz, moves, link
# events) gives: lab/report.py --check recomputes every cell, and every
# handovers.csv, and fails on any difference. No lab, a few seconds.
set -u
cd "$(dirname "$0")/../.."
python3 lab/report.py --check docs/BENCHMARKS.md || { echo "FAIL: report.py --check"; exit 1; }
echo "bench_check: ok"
