#!/bin/bash
# dmm-test: netns
# The netns tests' sanitizer net works (lib_dmm.sh):
#   - build/san/dmmd, dmmctl and dptest are ASan+UBSan builds;
#   - a dmmd (LM/HAA, in a namespace) stopped with SIGTERM exits cleanly
#     and its log has no sanitizer report;
#   - the same with a leak injected at start (a preloaded library's 123
#     bytes): LeakSanitizer reports it in the log at SIGTERM, and san_check
#     fails on that log.
# Root only (else exit 77).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
command -v cc >/dev/null || { echo "FAIL: no cc (make deps)"; exit 1; }
DMM_SAN=1 dmm_bins || { echo "FAIL: make san-daemon"; exit 1; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ns=dmmsan-$$
tmp=$(mktemp -d)
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for b in "$DMMD" "$DMMCTL" "$DPTEST"; do
	nm "$b" 2>/dev/null | grep -q '__asan_init' || ldd "$b" | grep -q libasan || bad "$b: no ASan"
	nm "$b" 2>/dev/null | grep -q '__ubsan_handle' || bad "$b: no UBSan"
done

ip netns add "$ns" || exit 1
ip -n "$ns" link set lo up
ip -n "$ns" addr add 2001:db8:ff::1/128 dev lo nodad
cp examples/figure1/keys "$tmp/keys" && chmod 600 "$tmp/keys"
sed -e "s|^control .*|control \"$tmp/ctl.sock\"|" -e "s|^keys .*|keys \"$tmp/keys\"|" \
	-e "s|^state .*|state \"$tmp/state\"|" examples/figure1/lm1haa1.conf >"$tmp/lm.conf"
cat >"$tmp/leak.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
static void *volatile keep;
__attribute__((constructor)) static void leak(void)
{
	keep = malloc(123);
	memset(keep, 1, 123);
	keep = NULL;
}
EOF
cc -shared -fPIC -O0 "$tmp/leak.c" -o "$tmp/leak.so" || { echo "FAIL: cc leak.so"; exit 1; }
asan=$(ldd "$DMMD" | awk '/libasan/ { print $3 }')

# run LOG [preload]: start dmmd, wait for its socket, SIGTERM, wait.
run() {
	rm -f "$tmp/ctl.sock"
	if [ -n "${2:-}" ]; then
		LD_PRELOAD=$asan:$2 ip netns exec "$ns" "$DMMD" -d -f "$tmp/lm.conf" >"$1" 2>&1 &
	else
		ip netns exec "$ns" "$DMMD" -d -f "$tmp/lm.conf" >"$1" 2>&1 &
	fi
	local pid=$! i
	for ((i = 0; i < 50; i++)); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
	[ -S "$tmp/ctl.sock" ] || bad "dmmd did not start: $(tail -3 "$1")"
	"$DMMCTL" -s "$tmp/ctl.sock" show counters >/dev/null || bad "dmmctl show counters failed"
	kill -TERM $pid
	wait $pid
}
run "$tmp/clean.log"; rc=$?
echo "clean run: exit $rc, $(tail -1 "$tmp/clean.log")"
[ $rc = 0 ] || bad "dmmd exited $rc on SIGTERM"
san_check "$tmp/clean.log" || bad "sanitizer report from a clean run"
if [ -n "$asan" ]; then
	run "$tmp/leak.log" "$tmp/leak.so"; rc=$?
	echo "leaking run: exit $rc"
	grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$tmp/leak.log" ||
		bad "the injected leak was not reported at SIGTERM: $(tail -5 "$tmp/leak.log")"
	san_check "$tmp/leak.log" >/dev/null && bad "san_check passed a log with a leak report"
else
	bad "$DMMD is not linked with libasan.so (cannot inject a leak)"
fi
[ $fail = 0 ] && echo "ok: sanitizer builds; a clean dmmd log passes, a leak at SIGTERM is reported and fails"
exit $fail
