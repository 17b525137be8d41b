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
# long run midway).
set -eu
cd "$(dirname "$0")/.."
sim=${SIM_BENCH_BIN:-build/dmmsim}
out=${1:-results/sim-bench}
sizes=${SIM_BENCH_SIZES:-"10000 100000 1000000"}
simt=${SIM_BENCH_TIME:-600}
mkdir -p "$out"
[ -x $sim ] || { echo "sim-bench: build $sim first (make)" >&2; exit 1; }
common="-L 16 -M 15 -t $simt --warmup 60 --dwell 600 --flows 2 --flow-len 60 --pkt 2000 -s 1 --perf"
{
	echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) vCPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	for n in $sizes; do
		d=$(( (n + 23999) / 24000 )) # ~100 MNs per MR
		echo "## $n MNs, $d domains x 16 x 15 MRs: dmmsim -n $n -D $d $common"
		/usr/bin/time -f "time: max_rss_kb %M wall_s %e user_s %U sys_s %S" \
			nice -n 19 $sim -n "$n" -D "$d" $common -o "$out/scale-$n" 2>&1
	done
	for n in ${SIM_BENCH_FIXED-10000 100000}; do
		echo "## $n MNs on 240 MRs: dmmsim -n $n -D 1 $common"
		/usr/bin/time -f "time: max_rss_kb %M wall_s %e user_s %U sys_s %S" \
			nice -n 19 $sim -n "$n" -D 1 $common -o "$out/fixed-$n" 2>&1
	done
	echo "## event heap alone (CPU time)"
	for p in 10000 1000000; do DMMSIM_CPU_CLOCK=1 nice -n 19 $sim --heap-bench $p; done
} | tee "$out/perf.txt"
