#!/bin/bash
# The fuzz campaign (make fuzz-campaign): every libFuzzer harness in DIR
# (default build/fuzz), one after the other under nice -n 19 (one job: the
# machine is shared), for a fixed number of executions, starting from its
# committed corpus tests/fuzz/corpus/<name without fuzz_>. Then:
#   - the corpus is minimized (-merge=1 of the old corpus and what the run
#     found) and written back in place, to be committed;
#   - docs/FUZZING.md gets a table: executions, exec/s, coverage (libFuzzer's
#     cov: edges and ft: features at the end), corpus size, crashes; then
#     tests/fuzz/notes.md (what each harness drives, their speed).
# A crash, leak or timeout leaves its reproducer in build/fuzz-artifacts/
# <name>/ and the campaign exits non-zero (turn it into a regression test).
# Environment:
#   FUZZ_RUNS=10000000       executions per decoder/parser harness
#   FUZZ_NODE_RUNS=1000000   executions of fuzz_node (a whole engine per input)
#   FUZZ_MAX_SECONDS=0       if set, a time cap per harness: the table then
#                            says how many executions were reached
#   FUZZ_CAPS="node=120 ..." a time cap for some harnesses (overrides the above)
#   FUZZ_ONLY="access tun"   only these harnesses (names without fuzz_); the
#                            others keep their rows of FUZZ_DOC
#   FUZZ_JOBS=1              harnesses run at once (each is one process;
#                            the decoders and parsers first, fuzz_node last)
#   FUZZ_END=HH:MM           (UTC) every run also stops by then; the table
#                            says how many executions each reached
#   FUZZ_DOC=docs/FUZZING.md where the table goes
# Seeds with a name of their own (regression-*, mistakes.conf: not a
# 40-hex-digit hash) survive the minimization.
set -u
cd "$(dirname "$0")/../.."
dir=${1:-build/fuzz}
runs=${FUZZ_RUNS:-10000000}
node_runs=${FUZZ_NODE_RUNS:-1000000}
cap=${FUZZ_MAX_SECONDS:-0}
doc=${FUZZ_DOC:-docs/FUZZING.md}
rows=$(mktemp)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
failed=0

jobs=${FUZZ_JOBS:-1}
rowdir=$(mktemp -d)
trap 'rm -f "$rows"; rm -rf "$rowdir"' EXIT

# campaign FUZZER: one harness, its row in $rowdir/NAME (1 if it failed).
campaign() {
	local fz=$1 name short n corpus art scratch before t0 args c kv rc secs execs rate
	local last cov ft crashes min after named left
	name=$(basename "$fz")
	short=${name#fuzz_}
	n=$runs
	[ "$name" = fuzz_node ] && n=$node_runs
	corpus=tests/fuzz/corpus/$short
	art=build/fuzz-artifacts/$name
	scratch=build/fuzz-campaign/$name
	rm -rf "$scratch" "$art"
	mkdir -p "$corpus" "$art" "$scratch"
	before=$(find "$corpus" -type f | wc -l)
	echo "campaign $name: $n executions from $before corpus files ($(date -u +%H:%M:%S))"
	t0=$(date +%s)
	args=(-runs="$n" -print_final_stats=1 -artifact_prefix="$art/")
	c=$cap
	for kv in ${FUZZ_CAPS:-}; do [ "${kv%%=*}" = "$short" ] && c=${kv#*=}; done
	if [ -n "${FUZZ_END:-}" ]; then
		left=$(($(date -u -d "$FUZZ_END" +%s) - $(date +%s)))
		[ "$left" -lt 10 ] && left=10
		[ "$c" -eq 0 ] || [ "$left" -lt "$c" ] && c=$left
	fi
	[ "$c" -gt 0 ] && args+=(-max_total_time="$c")
	nice -n 19 "$fz" "${args[@]}" "$scratch" "$corpus" >"$art/log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$art/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$art/log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$art/log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	crashes=$(find "$art" -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' | wc -l)
	if [ $rc -ne 0 ] && [ "$crashes" = 0 ]; then crashes="exit $rc"; fi
	# Minimized corpus, written back in place; named seeds kept as they are.
	min=$(mktemp -d)
	named=$(mktemp -d)
	find "$corpus" -maxdepth 1 -type f ! -regex '.*/[0-9a-f]\{40\}' -exec cp {} "$named"/ \;
	nice -n 19 "$fz" -merge=1 "$min" "$corpus" "$scratch" >"$art/merge.log" 2>&1 &&
		rm -f "$corpus"/* && cp "$min"/* "$corpus"/ 2>/dev/null
	cp "$named"/* "$corpus"/ 2>/dev/null
	rm -rf "$min" "$named"
	after=$(find "$corpus" -type f | wc -l)
	echo "  $name: ${execs:-?} executions in ${secs} s (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, corpus $before -> $after, crashes $crashes"
	if [ "$crashes" != 0 ]; then
		grep -A30 -E '==ERROR|runtime error|deadly signal' "$art/log" | head -40
	fi
	echo "| $name | ${execs:-?} | $n | ${secs} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $before → $after | $crashes |" >"$rowdir/$name"
	[ "$crashes" = 0 ]
}

# The slowest decoder/parser first; fuzz_node (a time cap, usually) last.
order="fuzz_parse fuzz_access fuzz_tun fuzz_decode fuzz_open fuzz_node"
for fz in "$dir"/fuzz_*; do
	grep -qw "$(basename "$fz")" <<<"$order" || order="$order $(basename "$fz")"
done
running=0
for name in $order; do
	fz=$dir/$name
	[ -x "$fz" ] || continue
	if [ -n "${FUZZ_ONLY:-}" ] && ! grep -qw -- "${name#fuzz_}" <<<"$FUZZ_ONLY"; then
		continue
	fi
	if [ "$running" -ge "$jobs" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
	campaign "$fz" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
# FUZZ_ONLY: the other harnesses keep their rows of the last campaign.
if [ -n "${FUZZ_ONLY:-}" ] && [ -f "$doc" ]; then
	grep '^| fuzz_' "$doc" | while read -r _ name _; do
		[ -f "$rowdir/$name" ] || grep -E "^\| $name \| [0-9?]+ \| [0-9]+ \|" "$doc" >"$rowdir/$name"
	done
fi
cat "$rowdir"/* 2>/dev/null | sort >"$rows"

{
	echo "# Fuzzing"
	echo
	echo "Figures of the last \`make fuzz-campaign\` (tests/fuzz/campaign.sh), written"
	echo "by it: each harness once under \`nice -n 19\` ($jobs at a time), from its"
	echo "committed corpus (tests/fuzz/corpus/NAME), which it then minimized and"
	echo "wrote back (seeds with names of their own kept). \`make check\` runs each"
	echo "harness only a few seconds over its corpus (tests/run.sh). The text below"
	echo "the table is tests/fuzz/notes.md."
	echo
	echo "Run $started on $(nproc) CPUs shared with other work (load average at the start: $load0),"
	echo "$(clang --version | head -1), ASan+UBSan, libFuzzer defaults unless the harness says otherwise."
	echo
	echo "| harness | executions | asked | seconds | exec/s | cov (edges) | ft (features) | corpus files | crashes |"
	echo "|---|---|---|---|---|---|---|---|---|"
	cat "$rows"
	echo
	cat tests/fuzz/notes.md
} >"$doc"
echo "wrote $doc"
exit $failed
