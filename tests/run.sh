#!/bin/bash
# Run every test dmm has and close with "N passed, M failed[, K skipped]".
#   unit tests   build/san/tests/test_*  (cmocka; each test case counts)
#   fuzz smoke   build/fuzz/fuzz_*       (each harness over its corpus + a few seconds)
#   scripts      tests/sh/*.sh           (exit 0 pass, 77 skip, else fail)
#
# Scripts that use network namespaces say so in a line of their header:
#   "# dmm-test: netns per-driver"  run once per data-plane driver, with
#       DMM_DATAPLANE=DRIVER, reported as NAME[DRIVER]: seg6, bpf and tun,
#       each where the kernel runs it (dmmd -P). A driver it cannot run
#       counts each of these scripts as skipped, with dmmd -P's reason.
#   "# dmm-test: netns"  once (they do not depend on the driver, or pick
#       their own mix, as fig1_interop does).
#   "# dmm-test: plain"  once, no namespaces.
#   No such line: a script that sources lib_lab.sh (a figure-1 lab test) is
#   per-driver, any other runs once as a plain test. (The first such line
#   counts: a script quoting others puts its own first.)
# Namespace tests run the ASan+UBSan daemon (build/san/dmmd, see
# tests/sh/lib_dmm.sh); a sanitizer report in a daemon's output fails them.
#
# As root, a script that exits 77 (skip) FAILS: root has what the namespace
# tests need and scripts/deps.sh (make check runs it) installs every tool
# the tests use, so a skip there hides a defect. Only the skips of a
# driver the kernel lacks, which this script decides, count as skipped.
#
# Environment:
#   DMM_DRIVERS="seg6 bpf tun"  the drivers to try (default: these three)
#   TESTS="fig1_* dp_routes"    only these scripts (globs on the name), no
#                               unit tests or fuzzers
#   DMM_SAN=0                   namespace tests run the -O2 build/dmmd
#   DMMD_PROBE="CMD"            replaces "build/san/dmmd -P" (tests of this script)
#   FUZZ_SMOKE_SECONDS          per fuzzer (default 5)
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
failures=()
log=build/test-logs
mkdir -p "$log"
export DMM_SAN=${DMM_SAN:-1}
unset DMM_DATAPLANE # set per driver below
declare -A netns_secs=()
root=no
[ "$(id -u)" = 0 ] && root=yes

if [ -z "${TESTS:-}" ]; then
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
fi

# ---- scripts

# kind SCRIPT: "plain", "netns" or "per-driver", from its header.
kind() {
	case $(sed -n 's/^# dmm-test: *//p' "$1" | head -1) in
	"netns per-driver") echo per-driver ;;
	netns) echo netns ;;
	"") if grep -q '^\. .*lib_lab\.sh' "$1"; then echo per-driver; else echo plain; fi ;;
	*) echo plain ;;
	esac
}

selected() { # name: in TESTS (globs), or no TESTS
	[ -z "${TESTS:-}" ] && return 0
	local g
	for g in $TESTS; do
		# shellcheck disable=SC2053
		[[ $1 == $g ]] && return 0
	done
	return 1
}

# run_script SCRIPT NAME LOGFILE [DRIVER] [BUCKET]: run, count, report.
run_script() {
	local s=$1 name=$2 out=$3 drv=${4:-} bucket=${5:-} rc t0=$SECONDS secs
	if [ -n "$drv" ]; then
		DMM_DATAPLANE=$drv bash "$s" >"$out" 2>&1
	else
		bash "$s" >"$out" 2>&1
	fi
	rc=$?
	secs=$((SECONDS - t0))
	[ -n "$bucket" ] && netns_secs[$bucket]=$((${netns_secs[$bucket]:-0} + secs))
	if [ $rc = 77 ] && [ $root = yes ]; then
		failed=$((failed + 1)); failures+=("$name: skipped as root (see $out)")
		echo "FAIL $name: skipped as root, which has what it needs: $(tail -1 "$out")"
		return
	fi
	case $rc in
	0) passed=$((passed + 1)); echo "ok   $name (${secs} s)" ;;
	77) skipped=$((skipped + 1)); echo "skip $name: $(tail -1 "$out")" ;;
	*) failed=$((failed + 1)); failures+=("$name (see $out)")
	   echo "FAIL $name (${secs} s)"; tail -30 "$out" ;;
	esac
}

plain=() once=() perdrv=()
for s in tests/sh/*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	case $name in lib_*) continue ;; esac # sourced helpers, not tests
	selected "$name" || continue
	case $(kind "$s") in
	per-driver) perdrv+=("$s") ;;
	netns) once+=("$s") ;;
	*) plain+=("$s") ;;
	esac
done

for s in "${plain[@]}"; do
	name=$(basename "$s" .sh)
	run_script "$s" "$name" "$log/$name.log"
done
for s in "${once[@]}"; do
	name=$(basename "$s" .sh)
	run_script "$s" "$name" "$log/$name.log" "" once
done

# The drivers: what dmmd -P says this kernel runs ("NAME yes|no [reason]").
declare -A drv_ok=() drv_why=()
drivers=()
if [ ${#perdrv[@]} -gt 0 ]; then
	if [ $root = no ]; then
		drivers=("") # each script skips: needs root
	else
		probe_out=$log/dmmd-probe.log
		if [ -n "${DMMD_PROBE:-}" ]; then
			$DMMD_PROBE >"$probe_out" 2>&1
		else
			dmmd=build/dmmd
			[ "$DMM_SAN" = 1 ] && dmmd=build/san/dmmd
			{ make -s "$dmmd" && "$dmmd" -P; } >"$probe_out" 2>&1
		fi
		rc=$?
		if [ $rc != 0 ] || ! grep -qE '^[a-z0-9]+ (yes|no)( |$)' "$probe_out"; then
			failed=$((failed + 1)); failures+=("dmmd -P (see $probe_out)")
			echo "FAIL dmmd -P: no driver list (exit $rc); the netns tests run once, with dmmd's default driver"
			tail -5 "$probe_out"
			drivers=("")
		else
			while read -r d ok why; do
				case $ok in yes|no) drv_ok[$d]=$ok drv_why[$d]=$why ;; esac
			done <"$probe_out"
			for d in ${DMM_DRIVERS:-seg6 bpf tun}; do drivers+=("$d"); done
			echo "drivers: $(grep -E '^[a-z0-9]+ (yes|no)' "$probe_out" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
		fi
	fi
fi

# Why driver D cannot run, naming the kernel option(s) it needs.
driver_skip_reason() {
	local d=$1 why=${drv_why[$1]:-} need
	[ -n "${drv_ok[$d]:-}" ] || { echo "dmmd -P does not know driver $d"; return; }
	case $d in
	seg6) need=CONFIG_IPV6_SEG6_LWTUNNEL ;;
	bpf) need="CONFIG_LWTUNNEL_BPF, CONFIG_NET_CLS_BPF or CONFIG_BPF_SYSCALL" ;;
	tun) need=CONFIG_TUN ;;
	*) need="" ;;
	esac
	if [[ $why == *CONFIG_* ]] || [ -z "$need" ]; then
		echo "kernel cannot run it (dmmd -P: ${why:-no reason given})"
	else
		echo "kernel lacks $need (dmmd -P: ${why:-no reason given})"
	fi
}

for d in "${drivers[@]}"; do
	for s in "${perdrv[@]}"; do
		name=$(basename "$s" .sh)
		if [ -z "$d" ]; then
			run_script "$s" "$name" "$log/$name.log" "" default
			continue
		fi
		if [ "${drv_ok[$d]:-}" != yes ]; then
			skipped=$((skipped + 1))
			echo "skip $name[$d]: $(driver_skip_reason "$d")"
			continue
		fi
		run_script "$s" "$name[$d]" "$log/$name.$d.log" "$d" "$d"
	done
done

if [ ${#netns_secs[@]} -gt 0 ]; then
	line=""
	for b in "${!netns_secs[@]}"; do line="$line $b ${netns_secs[$b]} s,"; done
	echo "netns test time:${line%,}"
fi
if [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran"; failed=1
fi
# Each failure with its first lines of verdict (a CI log may keep only the
# end of this output).
for f in "${failures[@]}"; do
	echo "failed: $f"
	l=${f##*(see }
	l=${l%)}
	[ -f "$l" ] && grep -E '^(FAIL|bad|\[  FAILED  \])' "$l" | head -3 | sed 's/^/    /'
done
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
