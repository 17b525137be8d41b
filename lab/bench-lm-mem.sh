#!/bin/bash
# bench-lm-mem.sh: the LM's memory per binding and its engine's cost per
# query, for two builds side by side in one run (root): a baseline and
# this tree (docs/BENCHMARKS.md, "Location management", "Memory per
# binding, before and after").
#
#   lab/bench-lm-mem.sh --base DIR [--out DIR] [--sizes "1000 100000 1000000"]
#                       [--mem-sizes "1000000"] [--reps R] [--time S]
#
# DIR of --base: a built checkout of the baseline (its build/dmmd and
# build/libdmm.a). The engine rows of both builds run this tree's
# tools/dmmbench.c, linked against each build's libdmm.a (the same
# harness, two cores); the load generator of the mem rows is this tree's
# build/dmmbench. Per repetition (default 3), the two builds alternate:
#   mem N   (--mem-sizes) dmmd as the LM (signalling udp) in a network
#           namespace of its own, pinned to CPU 1, as lab/bench-lm.sh
#           configures it; dmmbench gen -L (pinned to CPU 0, over the
#           namespace's loopback) loads N bindings (sealed LOC_UPDATEs,
#           every one answered OK); VmRSS of dmmd before and after: RSS
#           delta / N is the memory per binding the daemon really touched.
#   engine N  (--sizes) dmmbench engine -n N -t S on CPU 1: sealed
#           LOC_QUERYs through dmm_node_recv in-process, ns per query (wall
#           and the process's CPU time: the machine is shared), and
#           dmm_lm_footprint (the binding structures' own bytes).
# Raw rows go to DIR (default bench/lm-mem/DATE-UTC): rows.jsonl and
# machine.txt; lab/bench-lm-mem-report.py DIR prints the table from them.
# The namespace and every process started are removed by PID on exit.
# The namespace, the keys, the LM's configuration, the server start and
# the teardown are lab/lib-bench-lm.sh's, as in bench-lm.sh.
set -u
cd "$(dirname "$0")/.."
REPO=$PWD
. lab/lib-bench-lm.sh
BASE=""
OUT=""
SIZES="1000 100000 1000000"
MEM_SIZES="1000000"
REPS=3
TIME=3
while [ $# -gt 0 ]; do
	case "$1" in
	--base) BASE=$2; shift ;;
	--out) OUT=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--mem-sizes) MEM_SIZES=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--time) TIME=$2; shift ;;
	*) echo "usage: $0 --base DIR [--out DIR] [--sizes LIST] [--mem-sizes LIST] [--reps R] [--time S]" >&2
	   exit 2 ;;
	esac
	shift
done
[ -n "$BASE" ] && [ -x "$BASE/build/dmmd" ] && [ -f "$BASE/build/libdmm.a" ] ||
	{ echo "bench-lm-mem: --base DIR needs DIR/build/dmmd and DIR/build/libdmm.a" >&2; exit 2; }
[ -x build/dmmd ] && [ -x build/dmmbench ] || { echo "bench-lm-mem: make first" >&2; exit 2; }
BASE=$(cd "$BASE" && pwd)
lmb_out "bench/lm-mem/$(date -u +%Y-%m-%dT%H%MZ)"
lmb_begin bench-lm-mem
# the generator (the MR of the domain map) and the LM on one loopback
lmb_one lmm-$$ 2001:db8:ff::100 2001:db8:ff::1
# the engine harness, the same source against each build's core
cc -std=gnu11 -O2 -D_GNU_SOURCE -I"$BASE/core" tools/dmmbench.c -o "$RUN/dmmbench-base" \
	"$BASE/build/libdmm.a" -lcrypto -lsodium -ljansson -lm || exit 3
cc -std=gnu11 -O2 -D_GNU_SOURCE -Icore tools/dmmbench.c -o "$RUN/dmmbench-new" \
	build/libdmm.a -lcrypto -lsodium -ljansson -lm || exit 3
lmb_keys
rev() { git -C "$1" rev-parse --short HEAD 2>/dev/null; }
{
	lmb_machine
	echo "base: $BASE $(rev "$BASE")"
	echo "new: $REPO $(rev "$REPO") $(git -C "$REPO" status --porcelain --untracked-files=no | grep -q . && echo '(with changes)')"
	echo "sizes: $SIZES; mem-sizes: $MEM_SIZES; reps: $REPS; engine time: $TIME s"
} > "$OUT/machine.txt"

mem_row() { # BUILD-NAME DIR N REP
	local L R0 R1
	lmb_conf lmmem "$3"
	lmb_dmmd "$2/build/dmmd"
	lmb_gen -F -t 20 > /dev/null || lmb_fail
	R0=$(rss_kb $SRV_PID)
	L=$(lmb_gen -L -n "$3" -c 50 -t 0) || lmb_fail
	R1=$(rss_kb $SRV_PID)
	lmb_stop
	echo "{\"kind\":\"mem\",\"build\":\"$1\",\"n\":$3,\"rep\":$4,\"rss_start_kb\":$R0,\"rss_loaded_kb\":$R1,\"load\":$L}" >> "$ROWS"
	echo "  mem $1 n=$3: rss $R0 -> $R1 kB"
}

engine_row() { # BUILD-NAME DIR N REP
	local E
	E=$(taskset -c 1 "$RUN/dmmbench-$1" engine -k "$RUN/keys" -n "$3" -t "$TIME") || exit 3
	echo "{\"kind\":\"engine\",\"build\":\"$1\",\"n\":$3,\"rep\":$4,\"engine\":$E}" >> "$ROWS"
	echo "  engine $1 n=$3: $E"
}

for r in $(seq "$REPS"); do
	echo "bench-lm-mem: repetition $r"
	for N in $MEM_SIZES; do
		mem_row base "$BASE" "$N" "$r"
		mem_row new "$REPO" "$N" "$r"
	done
	for N in $SIZES; do
		engine_row base "$BASE" "$N" "$r"
		engine_row new "$REPO" "$N" "$r"
	done
done
lmb_machine_end
echo "bench-lm-mem: $ROWS"
