#!/bin/bash
# Run every test dmm has and close with "N passed, M failed[, K skipped]".
#   unit tests   build/san/tests/test_*  (cmocka; each test case counts)
#   fuzz smoke   build/fuzz/fuzz_*       (each harness over its corpus + a few seconds)
#   scripts      tests/sh/*.sh           (exit 0 pass, 77 skip, else fail)
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
failures=()
log=build/test-logs
mkdir -p "$log"

for t in build/san/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out="$log/$name.log"
	"$t" >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi # crash or sanitizer report
	passed=$((passed + p)) failed=$((failed + f))
	if [ "$f" != 0 ]; then
		failures+=("$name (see $out)")
		echo "FAIL $name: $p passed, $f failed"
		grep -E '^\[  (FAILED|  ERROR) \]|ERROR: |runtime error' "$out" | head -20
	else
		echo "ok   $name: $p passed"
	fi
done

for fz in build/fuzz/fuzz_*; do
	[ -x "$fz" ] || continue
	name=$(basename "$fz")
	corpus="tests/fuzz/corpus/${name#fuzz_}"
	mkdir -p "$log/$name"
	args=(-max_total_time="${FUZZ_SMOKE_SECONDS:-5}" -print_final_stats=0)
	if [ -d "$corpus" ]; then
		tmp=$(mktemp -d)
		"$fz" "${args[@]}" "$tmp" "$corpus" >"$log/$name.log" 2>&1
		rc=$?
		rm -rf "$tmp"
	else
		"$fz" "${args[@]}" >"$log/$name.log" 2>&1
		rc=$?
	fi
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "ok   $name"
	else
		failed=$((failed + 1)); failures+=("$name (see $log/$name.log)")
		echo "FAIL $name"; tail -20 "$log/$name.log"
	fi
done

for s in tests/sh/*.sh; do
	[ -f "$s" ] || continue
	case $(basename "$s") in lib_*) continue ;; esac # sourced helpers, not tests
	name=$(basename "$s" .sh)
	bash "$s" >"$log/$name.log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "ok   $name" ;;
	77) skipped=$((skipped + 1)); echo "skip $name: $(tail -1 "$log/$name.log")" ;;
	*) failed=$((failed + 1)); failures+=("$name (see $log/$name.log)")
	   echo "FAIL $name"; tail -30 "$log/$name.log" ;;
	esac
done

if [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran"; failed=1
fi
for f in "${failures[@]}"; do echo "failed: $f"; done
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
