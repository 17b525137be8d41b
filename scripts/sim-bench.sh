#!/bin/bash
# The simulator's numbers of docs/BENCHMARKS.md ("Simulator"): build/dmmsim
# at 10k, 100k and 1M MNs with about 100 MNs per MR (1, 4 and 42 domains of
# 16 networks x 15 MRs), then at a fixed 240 MRs (MNs per MR growing), and
# the event heap alone. Each line is dmmsim's --perf line (wall and CPU
# time, events/s, peak RSS); /usr/bin/time's maximum RSS beside it.
#   scripts/sim-bench.sh [OUTDIR]   (default results/sim-bench)
# SIM_BENCH_SIZES="10000 100000 1000000" and SIM_BENCH_TIME (simulated
# seconds after a 60 s warm-up, default 600) choose the runs,
# SIM_BENCH_FIXED the fixed-240-MR ones (default "10000 100000", "" none);
# SIM_BENCH_BIN another dmmsim (a copy, so a rebuild does not change a
# long run midway). SIM_BENCH_BASE: a baseline dmmsim (a copy of another
# build) run side by side, just before each run of SIM_BENCH_BIN, at the
# sizes up to SIM_BENCH_BASE_MAX (default 100000), its outputs in
# OUTDIR/base/ and its lines marked "base"; then the two JSON outputs are
# compared (the same simulation must give the same bytes).
# SIM_BENCH_NICE: the nice level (default 19; 0 for a run that must not
# wait behind every other process of a shared machine).
set -eu
cd "$(dirname "$0")/.."
sim=${SIM_BENCH_BIN:-build/dmmsim}
base=${SIM_BENCH_BASE:-}
base_max=${SIM_BENCH_BASE_MAX:-100000}
out=${1:-results/sim-bench}
sizes=${SIM_BENCH_SIZES:-"10000 100000 1000000"}
simt=${SIM_BENCH_TIME:-600}
nice=${SIM_BENCH_NICE:-19}
mkdir -p "$out"
[ -x $sim ] || { echo "sim-bench: build $sim first (make)" >&2; exit 1; }
[ -z "$base" ] || [ -x "$base" ] || { echo "sim-bench: no baseline $base" >&2; exit 1; }
[ -z "$base" ] || mkdir -p "$out/base"
common="-L 16 -M 15 -t $simt --warmup 60 --dwell 600 --flows 2 --flow-len 60 --pkt 2000 -s 1 --perf"
timed() {
	/usr/bin/time -f "time: max_rss_kb %M wall_s %e user_s %U sys_s %S" nice -n "$nice" "$@" 2>&1
}
same() {
	for ext in json nodes.csv latency.csv stretch.csv; do
		cmp -s "$1.$ext" "$2.$ext" || { echo "compare: $1.$ext and $2.$ext DIFFER"; return; }
	done
	echo "compare: base and this build's JSON and CSVs are byte-identical"
}
{
	echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) vCPUs, load $(cut -d' ' -f1-3 /proc/loadavg), nice $nice"
	for n in $sizes; do
		d=$(( (n + 23999) / 24000 )) # ~100 MNs per MR
		echo "## $n MNs, $d domains x 16 x 15 MRs: dmmsim -n $n -D $d $common"
		if [ -n "$base" ] && [ "$n" -le "$base_max" ]; then
			echo "base:"
			timed $base -n "$n" -D "$d" $common -o "$out/base/scale-$n"
		fi
		timed $sim -n "$n" -D "$d" $common -o "$out/scale-$n"
		[ -n "$base" ] && [ "$n" -le "$base_max" ] && same "$out/base/scale-$n" "$out/scale-$n"
	done
	for n in ${SIM_BENCH_FIXED-10000 100000}; do
		echo "## $n MNs on 240 MRs: dmmsim -n $n -D 1 $common"
		timed $sim -n "$n" -D 1 $common -o "$out/fixed-$n"
	done
	echo "## event heap alone (CPU time)"
	for p in 10000 1000000; do
		if [ -n "$base" ]; then
			echo -n "base: "
			DMMSIM_CPU_CLOCK=1 nice -n "$nice" $base --heap-bench $p
		fi
		DMMSIM_CPU_CLOCK=1 nice -n "$nice" $sim --heap-bench $p
	done
} | tee "$out/perf.txt"
