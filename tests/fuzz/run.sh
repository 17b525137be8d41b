#!/bin/bash
# Run every libFuzzer harness in DIR (default build/fuzz) for $FUZZ_SECONDS
# (default 60) over its seed corpus tests/fuzz/corpus/<name without fuzz_>
# plus a scratch directory for what it discovers. Crash reproducers are
# written to build/fuzz-artifacts/<name>/. Exit non-zero if any harness
# crashed (or none ran).
set -u
cd "$(dirname "$0")/../.."
dir=${1:-build/fuzz}
secs=${FUZZ_SECONDS:-60}
failed=0 ran=0
for fz in "$dir"/fuzz_*; do
	[ -x "$fz" ] || continue
	name=$(basename "$fz")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	art=build/fuzz-artifacts/$name
	scratch=build/fuzz-scratch/$name
	mkdir -p "$art" "$scratch"
	dirs=("$scratch")
	[ -d "$corpus" ] && dirs+=("$corpus") # new units go to the scratch dir only
	echo "fuzz $name: ${secs}s over ${dirs[*]}"
	"$fz" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$art/" "${dirs[@]}" >"$art/log" 2>&1
	rc=$?
	ran=$((ran + 1))
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "FAIL $name (exit $rc), log $art/log:"
		grep -A30 -E '==ERROR|runtime error|deadly signal|Abort' "$art/log" | head -40
		ls "$art"/crash-* "$art"/leak-* "$art"/timeout-* 2>/dev/null
	else
		echo "ok   $name: $(grep -E '^stat::number_of_executed_units' "$art/log" |
			awk '{print $2}') runs"
	fi
done
[ $ran -gt 0 ] || { echo "no fuzzer in $dir"; exit 1; }
[ $failed -eq 0 ]
