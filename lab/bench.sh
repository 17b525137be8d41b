#!/bin/bash
# bench.sh: the handover benchmark of docs/BENCHMARKS.md ("Handover").
#
#   lab/bench.sh [--handovers N] [--pause S] [--out DIR] [--keep DIR] [CONFIG...]
#
# Every CONFIG is RATE:HOLD:MN[:DELAY] (e.g. 10000:on:stock:20); default:
# 1000:on:tuned 10000:on:tuned 1000:off:tuned 10000:off:tuned 1000:on:stock
# 10000:on:stock 1000:off:stock 10000:off:stock 10000:on:stock:20.
# For each, lab/demo.sh --oracle brings lab/topologies/handover.topo up
# (every pair of routers in two local networks DELAY ms apart one way,
# default 5: the topology's "delay 5" rewritten), runs two probe streams
# per MN at RATE packets/s (MN2 -> MN, MN -> MN2) for MN1, which dmm moves,
# and for the oracle MN ON1, whose prefix the lab routes itself, and moves
# both back and forth MR11 <-> MR2, N times each (default 22), PAUSE s
# apart (default 1.5, 2.5 at 10k packets/s and more), ON1 half a pause
# after MN1: dmm and its oracle measured interleaved, in the same run, under
# the same load (recorded: run.json loadavg).
# --keep DIR copies each run's compact raw data (run.json, moves, link
# events, handovers.csv, extract.csv.gz, lost.csv.gz; docs/BENCHMARKS.md)
# to DIR/CONFIG-NAME/, from which `lab/report.py --check` recomputes the
# published table. The last step prints the table of all runs.
# Exit status: 0 when every run completed (whatever its verdict), 1 if one
# could not run.
set -u
cd "$(dirname "$0")/.."
N=22 PAUSE="" OUT=results/bench-$(date +%Y%m%d-%H%M%S) KEEP=""
while [ $# -gt 0 ]; do
	case $1 in
	--handovers) N=$2; shift ;;
	--pause) PAUSE=$2; shift ;;
	--out) OUT=$2; shift ;;
	--keep) KEEP=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "bench: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
CONFIGS=${*:-1000:on:tuned 10000:on:tuned 1000:off:tuned 10000:off:tuned 1000:on:stock 10000:on:stock 1000:off:stock 10000:off:stock 10000:on:stock:20}
moves=""
for ((k = 0; k < N; k++)); do
	[ $((k % 2)) = 0 ] && moves="$moves mr2" || moves="$moves mr11"
done
mkdir -p "$OUT"
[ -z "$KEEP" ] || KEEP=$(mkdir -p "$KEEP" && cd "$KEEP" && pwd)
dirs=() fail=0
for c in $CONFIGS; do
	IFS=: read -r rate hold mn delay <<<"$c"
	delay=${delay:-5}
	name=$rate-hold$hold-$mn-${delay}ms
	d=$OUT/$name
	mkdir -p "$d"
	topo=$OUT/handover-${delay}ms.topo
	sed "s/ delay 5\$/ delay $delay/" lab/topologies/handover.topo >"$topo"
	pause=${PAUSE:-$([ "$rate" -ge 10000 ] && echo 2.5 || echo 1.5)}
	args=(--rate "$rate" --mn "$mn" --pause "$pause" --no-tcp --oracle --topo "$topo"
		--moves "${moves# }" --out "$d")
	[ "$hold" = off ] && args+=(--no-hold)
	echo "bench: $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg): lab/demo.sh ${args[*]}"
	lab/demo.sh "${args[@]}" >"$d.out" 2>&1
	rc=$?
	tail -4 "$d.out"
	if [ $rc -ge 2 ] || [ ! -e "$d/summary.json" ]; then
		echo "bench: run $c failed (exit $rc), see $d.out" >&2
		fail=1
		continue
	fi
	echo "bench: load at the end $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$d.out"
	dirs+=("$d")
	if [ -n "$KEEP" ]; then
		mkdir -p "$KEEP/$name"
		(cd "$d" && cp run.json moves.jsonl links.jsonl links-*.jsonl handovers.csv \
			extract.csv.gz lost.csv.gz extract.json "$(basename "$topo")" summary.json \
			*-*.send *-*.json \
			$(ls rs.jsonl 2>/dev/null) "$KEEP/$name/")
		# the event logs of the MRs the MN moves between: when each attached it
		# (report.py --attach)
		mkdir -p "$KEEP/$name/events"
		for mr in $(sed -n 's/.*"to": "\([^"]*\)".*/\1/p' "$d/moves.jsonl" | sort -u); do
			cp "$d/events/$mr.events" "$KEEP/$name/events/"
		done
		sed -n 's/^bench: load at the end //p' "$d.out" >"$KEEP/$name/loadavg-end"
	fi
done
[ ${#dirs[@]} -gt 0 ] && python3 lab/report.py --markdown "${dirs[@]}" | tee "$OUT/table.md"
echo "results: $(cd "$OUT" && pwd)"
exit $fail
