#!/bin/bash
# dmm-test: netns
# dmmd's own start-up and reload UX (issue 12), on a live LM/HAA node (no
# data plane) in a network namespace of its own, signalling over UDP:
#
#   netns dmmh-$$:  lo  2001:db8:ff::1 (LM1/HAA1: dmmd)
#
#  - daemonized with a relative -f and a relative -p: the pidfile holds the
#    daemon's pid (mode 0644, a regular file) once it runs;
#  - SIGHUP rereads the file although the daemon chdir'd to / (the path
#    was resolved at start): a timer change shows in dmmctl show config;
#  - a reload that fails is visible in show config, text and JSON ("reload":
#    ok false, the error with its file:line, the time; both JSON forms valid
#    against docs/dmmctl.schema.json), and a good reload clears it;
#  - a second dmmd given the same pidfile refuses to start (it is locked);
#  - SIGTERM removes the pidfile; a symbolic link as pidfile is refused;
#  - in the foreground (-d) the failed reload's errors go to stderr.
# No sanitizer report (ASan+UBSan build, lib_dmm.sh; the daemonized one
# logs to files). Root only (else exit 77).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
command -v python3 >/dev/null || { echo "FAIL: no python3 (make deps)"; exit 1; }
python3 -c 'import jsonschema' 2>/dev/null ||
	{ echo "FAIL: python3-jsonschema is not installed (make deps)"; exit 1; }
dmm_bins || { echo "FAIL: make"; exit 1; }
DMMD=$PWD/$DMMD DMMCTL=$PWD/$DMMCTL
ns=dmmh-$$
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
in_ns() { ip netns exec "$ns" "$@"; }
ctl() { in_ns "$DMMCTL" -s "$tmp/ctl.sock" "$@"; }
# wait_for CMD...: until CMD succeeds, at most 5 s.
wait_for() {
	local _
	for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done
	return 1
}
shown() { ctl show config >"$tmp/shown" 2>/dev/null && grep -q "$1" "$tmp/shown"; }

ip netns add "$ns" || exit 1
in_ns ip link set lo up
in_ns ip addr add 2001:db8:ff::1/128 dev lo nodad
cp examples/figure1/keys "$tmp/keys" && chmod 600 "$tmp/keys"
sed -e "s|^control .*|control \"$tmp/ctl.sock\"|" \
    -e "s|^state .*|state \"$tmp/state\"|" \
    -e "s|^#event-log .*|signalling udp|" \
    examples/figure1/lm1haa1.conf >"$tmp/lm1.conf"
cp "$tmp/lm1.conf" "$tmp/lm1.orig"

# ---- daemonized, relative -f and -p
(cd "$tmp" && ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$tmp/asan" \
	ip netns exec "$ns" "$DMMD" -f lm1.conf -p dmmd.pid) >"$tmp/start.log" 2>&1 ||
	{ bad "dmmd did not start"; cat "$tmp/start.log"; exit 1; }
wait_for test -s "$tmp/dmmd.pid" || { bad "no pidfile"; exit 1; }
pid=$(cat "$tmp/dmmd.pid")
pids+=("$pid")
[ "$(tr -d '\n' <"/proc/$pid/comm" 2>/dev/null)" = dmmd ] || bad "pidfile holds $pid, not a dmmd"
[ "$(stat -c '%a %F' "$tmp/dmmd.pid")" = "644 regular file" ] ||
	bad "pidfile: $(stat -c '%a %F' "$tmp/dmmd.pid")"
[ "$(readlink "/proc/$pid/cwd")" = / ] || bad "the daemon did not chdir to /"
wait_for test -S "$tmp/ctl.sock" || bad "no control socket"

# SIGHUP with the relative path: applied
sed -i 's/lease 1h/lease 2h/' "$tmp/lm1.conf"
kill -HUP "$pid"
wait_for shown "^	lease 2h$" || { bad "reload with a relative -f not applied"; cat "$tmp/shown"; }
ctl -j show config >"$tmp/ok.json" || bad "show config -j"
python3 - "$tmp/ok.json" <<'PY' || bad "JSON after a good reload: $(cat "$tmp/ok.json")"
import json, sys
r = json.load(open(sys.argv[1]))["reload"]
assert r["ok"] is True and r["error"] is None, r
PY
grep -q "^# the reload" "$tmp/shown" && bad "a good reload shown as failed"

# a failed reload: visible, with the error and its line, text and JSON
echo "lm-update-on-attach yes" >>"$tmp/lm1.conf"
line=$(wc -l <"$tmp/lm1.conf")
t0=$(date +%s)
kill -HUP "$pid"
wait_for shown "^# the reload at .* failed" || { bad "failed reload not shown"; cat "$tmp/shown"; }
want="#   $tmp/lm1.conf:$line: unknown keyword 'lm-update-on-attach'; valid only in mr {}"
grep -qxF "$want" "$tmp/shown" || { bad "failed reload: no '$want'"; cat "$tmp/shown"; }
grep -q "^	lease 2h$" "$tmp/shown" || bad "the running configuration changed"
ctl -j show config >"$tmp/fail.json" || bad "show config -j"
python3 - "$tmp/fail.json" "$tmp/lm1.conf:$line:" "$t0" <<'PY' || bad "JSON of a failed reload: $(cat "$tmp/fail.json")"
import calendar, json, sys, time
r = json.load(open(sys.argv[1]))["reload"]
assert r["ok"] is False, r
assert r["error"].startswith(sys.argv[2]) and "did you mean" not in r["error"], r
t = calendar.timegm(time.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ"))
assert int(sys.argv[3]) - 1 <= t <= time.time() + 1, (t, sys.argv[3])
PY
# both reload objects against the schema of show config
python3 - docs/dmmctl.schema.json "$tmp/ok.json" "$tmp/fail.json" <<'PY' || bad "show config JSON against the schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
sub = dict(schema, **{"$ref": "#/$defs/show_config"})
for f in sys.argv[2:]:
    jsonschema.Draft202012Validator(sub).validate(json.load(open(f)))
PY
# a change that needs a restart is a failed reload too
cp "$tmp/lm1.orig" "$tmp/lm1.conf"
sed -i 's/lease 1h/lease 2h/' "$tmp/lm1.conf"
echo "limits { mns 10 }" >>"$tmp/lm1.conf"
kill -HUP "$pid"
wait_for shown "^#   changes to limits need a restart$" ||
	{ bad "refused reload not shown"; cat "$tmp/shown"; }
# fixed again: the failure is gone
sed 's/lease 1h/lease 2h/' "$tmp/lm1.orig" >"$tmp/lm1.conf"
kill -HUP "$pid"
wait_for eval 'ctl show config 2>/dev/null | (! grep -q "^# the reload")' ||
	bad "the failure is still shown after a good reload"

# a second dmmd on the same pidfile (own socket and port) is refused
sed -e "s|ctl.sock|ctl2.sock|" -e "s|^signalling udp|signalling udp port 5437|" -e "s|/state\"|/state2\"|" \
    "$tmp/lm1.conf" >"$tmp/second.conf"
if in_ns "$DMMD" -d -f "$tmp/second.conf" -p "$tmp/dmmd.pid" >"$tmp/second.log" 2>&1; then
	bad "a second dmmd started on a locked pidfile"
fi
grep -q "pidfile $tmp/dmmd.pid: locked by another process" "$tmp/second.log" ||
	{ bad "second dmmd: no lock message"; cat "$tmp/second.log"; }
[ "$(cat "$tmp/dmmd.pid")" = "$pid" ] || bad "the second dmmd changed the pidfile"

# SIGTERM: gone, pidfile removed
kill -TERM "$pid"
wait_for eval '! kill -0 '"$pid"' 2>/dev/null' || bad "dmmd still running after SIGTERM"
wait_for eval '[ ! -e "$tmp/dmmd.pid" ]' || bad "pidfile left behind"
pids=()

# a symbolic link as pidfile: refused
ln -s "$tmp/elsewhere" "$tmp/link.pid"
in_ns "$DMMD" -d -f "$tmp/lm1.conf" -p "$tmp/link.pid" >"$tmp/link.log" 2>&1 &&
	bad "a symbolic link pidfile was accepted"
grep -q "pidfile $tmp/link.pid (a symbolic link)" "$tmp/link.log" ||
	{ bad "symbolic link: no clear message"; cat "$tmp/link.log"; }
[ -e "$tmp/elsewhere" ] && bad "the link's target was created"

# ---- foreground: a failed reload's errors on stderr
ip netns exec "$ns" "$DMMD" -d -f "$tmp/lm1.conf" >"$tmp/fg.log" 2>&1 &
fg=$!
pids+=("$fg")
wait_for test -S "$tmp/ctl.sock" || bad "foreground: no control socket"
echo "timers { lease 0s }" >>"$tmp/lm1.conf"
kill -HUP "$fg"
wait_for grep -q "reload: $tmp/lm1.conf has errors; keeping the running configuration" "$tmp/fg.log" ||
	bad "foreground: no reload failure on stderr"
grep -q "^$tmp/lm1.conf:$(wc -l <"$tmp/lm1.conf"): timers {} block given twice (first on line [0-9]*)$" "$tmp/fg.log" ||
	{ bad "foreground: the error is not on stderr"; cat "$tmp/fg.log"; }
kill -TERM "$fg"
wait "$fg" || bad "foreground dmmd exit status $?"
pids=()

san_check "$tmp"/asan* "$tmp/fg.log" "$tmp/second.log" "$tmp/link.log" || fail=1
[ $fail = 0 ] && echo "dmmd_reload: pidfile, relative -f reload, failed reload shown and cleared"
exit $fail
