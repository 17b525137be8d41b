# lib_dmm.sh: what the network-namespace tests that run dmmd or dptest
# share (sourced, not run; lib_lab.sh sources it): which binaries, which
# data-plane driver, and the sanitizer verdict on their output.
#
#   DMM_SAN=1|0          (environment, default 1) run the ASan+UBSan build:
#                        build/san/dmmd, dmmctl, dptest (make san-daemon);
#                        0: the -O2 build/dmmd, dmmctl, dptest
#   DMM_DATAPLANE=SPEC   (environment, default none: each daemon's default,
#                        auto) the driver of each MR: one for all (seg6,
#                        bpf, tun, auto) or NODE=DRIVER,...[,*=DRIVER];
#                        tests/run.sh sets it for each driver it runs
#   dmm_bins [TARGET...] build the binaries (and make TARGETs), set DMMD,
#                        DMMCTL, DPTEST; returns non-zero if make failed
#   dmm_require CMD...   root (else SKIP, exit 77), every CMD installed (else
#                        FAIL, exit 1), then dmm_bins (FAIL if make fails)
#   dmmd_n ARGS...       $DMMD ARGS (-n, -nv, -P) without the leak check: a
#                        leak at the exit of these one-shot runs loses their
#                        buffered output; lab_config.sh checks -n for leaks
#   dmm_driver NODE      the driver SPEC gives NODE, "" for none or auto
#   dmm_conf_driver NODE FILE  append "dataplane DRIVER" to FILE if any
#   san_check FILE...    print any sanitizer report found in FILE... and
#                        return 1 (a report in a daemon's log fails a test)
#
# Sanitizer options (exported, so every daemon a test starts inherits them):
# leaks are reported when a daemon exits normally (SIGTERM); a report does
# not stop a daemon unless it is an error (UBSan: -fno-sanitize-recover).

DMM_SAN=${DMM_SAN:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
SAN_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|LeakSanitizer has encountered|runtime error:|SUMMARY: [A-Za-z]*Sanitizer|ThreadSanitizer|MemorySanitizer'

dmm_bins() {
	local dir=build
	[ "$DMM_SAN" = 1 ] && dir=build/san
	DMMD=$dir/dmmd DMMCTL=$dir/dmmctl DPTEST=$dir/dptest
	if [ "$DMM_SAN" = 1 ]; then
		make -s san-daemon "$@" >/dev/null
	else
		make -s build/dmmd build/dmmctl build/dptest "$@" >/dev/null
	fi
}

dmm_require() {
	local c
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
	for c in "$@"; do
		command -v "$c" >/dev/null || { echo "FAIL: $c not installed (scripts/deps.sh)"; exit 1; }
	done
	dmm_bins || { echo "FAIL: make"; exit 1; }
}

dmmd_n() { ASAN_OPTIONS=detect_leaks=0 "$DMMD" "$@"; }

dmm_driver() {
	local spec=${DMM_DATAPLANE:-} item node drv def=""
	local IFS=,
	for item in $spec; do
		item=${item// /}
		[ -n "$item" ] || continue
		if [ "${item#*=}" = "$item" ]; then node='*' drv=$item
		else node=${item%%=*} drv=${item#*=}; fi
		if [ "$node" = "$1" ]; then
			[ "$drv" = auto ] || echo "$drv"
			return 0
		fi
		[ "$node" = '*' ] && def=$drv
	done
	[ -n "$def" ] && [ "$def" != auto ] && echo "$def"
	return 0
}

dmm_conf_driver() {
	local d
	d=$(dmm_driver "$1")
	[ -z "$d" ] || echo "dataplane $d" >>"$2"
}

san_check() {
	local f found=0
	for f in "$@"; do
		[ -f "$f" ] || continue
		if grep -qE "$SAN_RE" "$f"; then
			echo "FAIL: sanitizer report in $f:"
			grep -E -A 30 "$SAN_RE" "$f" | head -60
			found=1
		fi
	done
	return $found
}
