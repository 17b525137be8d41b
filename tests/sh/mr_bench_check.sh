#!/bin/bash
# dmm-test: plain
# The "MR tables" table of docs/BENCHMARKS.md is what
# scripts/mr-bench-table.py computes from the committed raw data
# (results/mr-tables/raw.jsonl), and the check catches an altered number.
set -u
cd "$(dirname "$0")/../.."
fail=0
scripts/mr-bench-table.py --check docs/BENCHMARKS.md results/mr-tables/raw.jsonl ||
	{ echo "FAIL: BENCHMARKS.md's MR tables table differs from the raw data"; fail=1; }
tmp=$(mktemp -d /tmp/mr_bench_check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sed 's/"attach_ns": 808,/"attach_ns": 809,/' results/mr-tables/raw.jsonl >"$tmp/raw.jsonl"
cmp -s "$tmp/raw.jsonl" results/mr-tables/raw.jsonl &&
	{ echo "FAIL: the alteration did not apply"; fail=1; }
scripts/mr-bench-table.py --check docs/BENCHMARKS.md "$tmp/raw.jsonl" 2>/dev/null &&
	{ echo "FAIL: an altered number passed the check"; fail=1; }
exit $fail
