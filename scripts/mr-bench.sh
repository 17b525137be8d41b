#!/bin/bash
# The MR's per-event cost before and after the table module, side by side
# in one run (docs/BENCHMARKS.md, "MR tables"):
#   scripts/mr-bench.sh [BASE_REV [OUTDIR]]
# builds libdmm of BASE_REV (default 7ecc117: main before core/table.c) in
# a temporary directory, links tools/mrbench.c (public API only) against it
# and against this tree's build/libdmm.a, and runs both at each size in
# MR_BENCH_SIZES (default 1000 10000 100000), alternating, one core each in
# turn. Raw JSON lines in OUTDIR/raw.jsonl (default results/mr-tables/),
# the table of BENCHMARKS.md printed by scripts/mr-bench-table.py.
set -eu
cd "$(dirname "$0")/.."
base=${1:-7ecc117}
out=${2:-results/mr-tables}
sizes=${MR_BENCH_SIZES:-1000 10000 100000}
samples=${MR_BENCH_SAMPLES:-1000}
repeat=${MR_BENCH_REPEAT:-10000}
tmp=$(mktemp -d /tmp/mr-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
git archive "$base" | tar -x -C "$tmp"
make -s -C "$tmp" -j2 build/libdmm.a >/dev/null
make -s -j2 build/libdmm.a
flags="-std=gnu11 -O2 -g -D_GNU_SOURCE"
cc $flags -I"$tmp/core" tools/mrbench.c -o "$tmp/mrbench.base" "$tmp/build/libdmm.a" \
	-lcrypto -lsodium -ljansson
cc $flags -Icore tools/mrbench.c -o "$tmp/mrbench.new" build/libdmm.a -lcrypto -lsodium -ljansson
: >"$out/raw.jsonl"
{
	echo "# scripts/mr-bench.sh $base: $(date -u +%FT%TZ), $(git rev-parse --short HEAD)"
	echo "# $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
} >"$out/header.txt"
# the tree the new binary was built from (uncommitted changes: "+")
rev=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- core tools/mrbench.c || echo +)
for n in $sizes; do
	for core in base new; do
		"$tmp/mrbench.$core" -n "$n" -s "$samples" -r "$repeat" |
			sed "s/^{/{\"core\": \"$core\", \"rev\": \"$([ $core = base ] && echo "$base" ||
				echo "$rev")\", /" | tee -a "$out/raw.jsonl"
	done
done
echo "# done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/header.txt"
scripts/mr-bench-table.py "$out/raw.jsonl"
