#!/bin/bash
# bench-lm-ab.sh: the LM's cost per answered LOC_QUERY, this build against
# a baseline build, side by side in one run (root; docs/BENCHMARKS.md,
# "Location management", "CPU per answer, against a baseline").
#
#   lab/bench-lm-ab.sh --base BUILD_DIR [--out DIR] [--sizes "1000000"]
#                      [--engine-sizes "1000 100000 1000000"] [--time S]
#                      [--reps R] [--outstanding C] [--peers "1 100 1000"]
#
# BUILD_DIR holds the baseline's dmmd and dmmbench, for example
#   git worktree add /tmp/lm-base main && make -C /tmp/lm-base -j2
# then --base /tmp/lm-base/build. The build under test is ./build.
#
# The path is bench-lm.sh's: two namespaces (lmab-gen-PID, lmab-srv-PID)
# over a veth pair, the generator (this build's dmmbench gen: the same
# generator for both) pinned to CPU 0, the server to CPU 1, C requests
# outstanding (default 50). For each size N (--sizes) and each of R rounds
# (default 2): first the floor, `dmmbench echo` (answers each datagram
# with its own bytes: the path's and the kernel's cost alone), measured
# the same way (its row carries the N of the rows it precedes); then each build in turn, base first: a fresh dmmd LM (signalling
# udp), N bindings loaded (gen -L), 1 s of queries to warm up, then S
# seconds (default 5) of sealed LOC_QUERYs uniform over the N (the same
# generator process counts the answers and the CPU is read right before
# and after it). The server's CPU over the query phase is
# read twice: utime + stime in clock ticks (/proc/PID/stat, as
# bench-lm.sh does) and the scheduler's run time in ns
# (/proc/PID/schedstat, first field); per answer is that over the
# answers the generator counted. Then, for each size of --engine-sizes and
# each round, each build's `dmmbench engine` (the LM in-process on CPU 1,
# ns per sealed LOC_QUERY through dmm_node_recv, reply sealed) for 3 s.
# With --peers, then this build's engine alone (1000 bindings) with its
# queries from each number of sender addresses (dmmbench engine -P): the
# cost of the node's per-peer tables. Raw data: DIR/rows.jsonl (default
# bench/lm-ab/DATE-UTC), one JSON object
# per row, and DIR/machine.txt; lab/bench-lm-ab-report.py DIR prints the
# table and the ratios. Everything started is stopped by PID on exit.
# The namespaces, the keys, the LM's configuration, the server starts and
# the teardown are lab/lib-bench-lm.sh's, as in bench-lm.sh.
set -u
cd "$(dirname "$0")/.."
REPO=$PWD
. lab/lib-bench-lm.sh
OUT=""
BASE=""
SIZES="1000000"
ESIZES="1000 100000 1000000"
TIME=5
REPS=2
C=50
PEERS=""
while [ $# -gt 0 ]; do
	case "$1" in
	--base) BASE=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--sizes) SIZES=$2; shift 2 ;;
	--engine-sizes) ESIZES=$2; shift 2 ;;
	--time) TIME=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--outstanding) C=$2; shift 2 ;;
	--peers) PEERS=$2; shift 2 ;;
	*) echo "usage: $0 --base BUILD_DIR [--out DIR] [--sizes \"N...\"] [--engine-sizes \"N...\"] [--time S] [--reps R] [--outstanding C] [--peers \"P...\"]" >&2; exit 2 ;;
	esac
done
lmb_root bench-lm-ab
[ -n "$BASE" ] || { echo "bench-lm-ab: --base BUILD_DIR is required" >&2; exit 2; }
BASE=$(cd "$BASE" && pwd) || exit 2
for b in "$BASE/dmmd" "$BASE/dmmbench" build/dmmd build/dmmbench; do
	[ -x "$b" ] || { echo "bench-lm-ab: $b missing" >&2; exit 3; }
done
lmb_out "bench/lm-ab/$(date -u +%Y-%m-%d)"
lmb_begin bench-lm-ab
lmb_pair lmab-gen-$$ lmab-srv-$$ lmab 2001:db8:fe::100 2001:db8:fe::1
lmb_keys

{
	lmb_machine
	echo "commit: $(git rev-parse HEAD 2>/dev/null)"
	echo "base: $BASE ($(git -C "$BASE/.." rev-parse HEAD 2>/dev/null))"
	echo "sizes: $SIZES; engine sizes: $ESIZES; time: $TIME s; rounds: $REPS; outstanding: $C"
} > "$OUT/machine.txt"

dmm_row() { # BUILD_NAME BUILD_DIR N ROUND
	local name=$1 dir=$2 n=$3 r=$4 l q c0 c1 s0 s1
	lmb_conf lmab "$n"
	lmb_dmmd "$dir/dmmd"
	lmb_gen -F -t 20 > /dev/null || lmb_fail
	l=$(lmb_gen -L -n "$n" -c "$C" -t 0)
	lmb_gen -n "$n" -c "$C" -t 1 -w 0 > /dev/null # warm-up
	c0=$(cpu_ticks $SRV_PID); s0=$(run_ns $SRV_PID)
	q=$(lmb_gen -n "$n" -c "$C" -t "$TIME" -w 0)
	c1=$(cpu_ticks $SRV_PID); s1=$(run_ns $SRV_PID)
	lmb_stop
	echo "{\"kind\":\"dmmd\",\"build\":\"$name\",\"n\":$n,\"round\":$r,\"cpu_ticks\":$(( c1 - c0 )),\"hz\":$(getconf CLK_TCK),\"run_ns\":$(( s1 - s0 )),\"load\":$l,\"run\":$q}" >> "$ROWS"
	echo "  $name dmmd n=$n round $r: $q"
}
floor_row() { # N ROUND: the no-op responder (this build's dmmbench echo), measured alike
	local q c0 c1 s0 s1
	lmb_echo
	lmb_gen -n 1000 -c "$C" -t 1 -w 0 > /dev/null # warm-up
	c0=$(cpu_ticks $SRV_PID); s0=$(run_ns $SRV_PID)
	q=$(lmb_gen -n 1000 -c "$C" -t "$TIME" -w 0)
	c1=$(cpu_ticks $SRV_PID); s1=$(run_ns $SRV_PID)
	lmb_stop
	echo "{\"kind\":\"floor\",\"build\":\"floor\",\"n\":$1,\"round\":$2,\"cpu_ticks\":$(( c1 - c0 )),\"hz\":$(getconf CLK_TCK),\"run_ns\":$(( s1 - s0 )),\"run\":$q}" >> "$ROWS"
	echo "  floor (before n=$1) round $2: $q"
}
engine_row() { # BUILD_NAME BUILD_DIR N ROUND
	local e
	e=$(taskset -c 1 "$2/dmmbench" engine -k "$RUN/keys" -n "$3" -t 3) || exit 3
	echo "{\"kind\":\"engine\",\"build\":\"$1\",\"n\":$3,\"round\":$4,\"engine\":$e}" >> "$ROWS"
	echo "  $1 engine n=$3 round $4: $e"
}
for N in $SIZES; do
	for ((r = 1; r <= REPS; r++)); do
		floor_row "$N" "$r"
		dmm_row base "$BASE" "$N" "$r"
		dmm_row new "$REPO/build" "$N" "$r"
	done
done
for N in $ESIZES; do
	for ((r = 1; r <= REPS; r++)); do
		engine_row base "$BASE" "$N" "$r"
		engine_row new "$REPO/build" "$N" "$r"
	done
done
for ((r = 1; r <= REPS; r++)); do
	for P in $PEERS; do
		e=$(taskset -c 1 build/dmmbench engine -k "$RUN/keys" -n 1000 -P "$P" -t 3) || exit 3
		echo "{\"kind\":\"peers\",\"build\":\"new\",\"n\":1000,\"peers\":$P,\"round\":$r,\"engine\":$e}" >> "$ROWS"
		echo "  new engine n=1000 peers=$P round $r: $e"
	done
done
lmb_machine_end
python3 lab/bench-lm-ab-report.py "$OUT"
