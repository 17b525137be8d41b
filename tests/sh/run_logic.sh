#!/bin/bash
# dmm-test: plain
# tests/run.sh's own rules, on fake test scripts in a scratch tree and a
# fake `dmmd -P` (seg6 no, bpf yes, tun yes):
#   - a per-driver script runs once per driver the kernel runs, with
#     DMM_DATAPLANE set, reported NAME[DRIVER]; for seg6 it is skipped,
#     the reason naming CONFIG_IPV6_SEG6_LWTUNNEL;
#   - a script that sources lib_lab.sh and has no dmm-test line is per-driver;
#   - a netns script runs once, without DMM_DATAPLANE;
#   - as root, a script exiting 77 is a failure ("skipped as root"); as
#     another user it is a skip;
#   - DMM_DRIVERS restricts the drivers; a failing dmmd -P is a failure and
#     the per-driver scripts then run once;
#   - the closing line is "N passed, M failed[, K skipped]".
set -u
cd "$(dirname "$0")/../.."
fail=0
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d /tmp/run_logic.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/tests/sh" "$tmp/build"
cp tests/run.sh "$tmp/tests/run.sh"
cat >"$tmp/tests/sh/a_drv.sh" <<'EOF'
#!/bin/bash
# dmm-test: netns per-driver
echo "ran with ${DMM_DATAPLANE:-none}" >>"$(dirname "$0")/../../ran"
exit 0
EOF
cat >"$tmp/tests/sh/b_lab.sh" <<'EOF'
#!/bin/bash
. "$(dirname "$0")/lib_lab.sh"
echo "b_lab with ${DMM_DATAPLANE:-none}" >>"$(dirname "$0")/../../ran"
EOF
: >"$tmp/tests/sh/lib_lab.sh"
cat >"$tmp/tests/sh/c_netns.sh" <<'EOF'
#!/bin/bash
# dmm-test: netns
echo "c_netns with ${DMM_DATAPLANE:-none}" >>"$(dirname "$0")/../../ran"
echo "SKIP: pretend a tool is missing"
exit 77
EOF
cat >"$tmp/tests/sh/d_plain.sh" <<'EOF'
#!/bin/bash
exit 0
EOF
printf '#!/bin/sh\nprintf "bpf yes\\nseg6 no seg6local routes: Operation not supported\\ntun yes\\nauto bpf\\n"\n' \
	>"$tmp/probe"
printf '#!/bin/sh\necho "cannot probe" >&2; exit 1\n' >"$tmp/probe-fails"
chmod 755 "$tmp/probe" "$tmp/probe-fails" "$tmp"/tests/sh/*.sh

run() { # [env...]: run.sh in the scratch tree; output in $tmp/out
	rm -f "$tmp/ran"
	env -u DMM_DATAPLANE -u TESTS -u DMM_DRIVERS "$@" bash "$tmp/tests/run.sh" >"$tmp/out" 2>&1
}
has() { grep -qE -- "$1" "$tmp/out" || bad "${2:-output lacks /$1/}"; }

if [ "$(id -u)" = 0 ]; then
	run DMMD_PROBE="$tmp/probe"; rc=$?
	cat "$tmp/out"; echo "---"
	[ $rc = 1 ] || bad "exit $rc, want 1 (c_netns skipped as root)"
	has '^skip a_drv\[seg6\]: kernel lacks CONFIG_IPV6_SEG6_LWTUNNEL \(dmmd -P: seg6local routes'
	has '^ok   a_drv\[bpf\]' && has '^ok   a_drv\[tun\]'
	has '^ok   b_lab\[bpf\]' && has '^ok   b_lab\[tun\]' && has '^skip b_lab\[seg6\]'
	has '^FAIL c_netns: skipped as root'
	has '^ok   d_plain'
	has '^5 passed, 1 failed, 2 skipped$'
	[ "$(sort "$tmp/ran" | tr '\n' ';')" = "b_lab with bpf;b_lab with tun;c_netns with none;ran with bpf;ran with tun;" ] ||
		bad "runs: $(sort "$tmp/ran" | tr '\n' ';')"

	run DMMD_PROBE="$tmp/probe" DMM_DRIVERS=tun TESTS='a_*'
	has '^ok   a_drv\[tun\]'
	grep -q 'a_drv\[bpf\]\|d_plain\|c_netns' "$tmp/out" && bad "DMM_DRIVERS=tun TESTS='a_*' ran more: $(cat "$tmp/out")"
	has '^1 passed, 0 failed$'

	run DMMD_PROBE="$tmp/probe-fails" TESTS='a_*'; rc=$?
	[ $rc = 1 ] || bad "a failing dmmd -P: exit $rc, want 1"
	has '^FAIL dmmd -P'
	has '^ok   a_drv \(' "a_drv did not run once after dmmd -P failed"
	has '^1 passed, 1 failed$'
fi
if command -v setpriv >/dev/null; then
	# Another user: 77 is a skip, and no driver is probed.
	chown -R 65534 "$tmp"
	run DMMD_PROBE="$tmp/probe" setpriv --reuid=65534 --regid=65534 --clear-groups; rc=$?
	echo "as nobody: exit $rc: $(tail -1 "$tmp/out")"
	[ $rc = 0 ] || bad "as nobody: exit $rc, want 0: $(cat "$tmp/out")"
	has '^skip c_netns: SKIP: pretend a tool is missing'
	has '^ok   a_drv \('
	has '^3 passed, 0 failed, 1 skipped$'
	chown -R 0 "$tmp"
fi
[ $fail = 0 ] && echo "ok: run.sh runs per driver, skips what the kernel lacks, fails a skip as root"
exit $fail
