#!/bin/bash
# dmm-test: netns
# dmmd + dmmctl on a live LM/HAA node (no data plane), in a network
# namespace of its own, signalling over UDP:
#
#   netns dmmc-$$:  lo  2001:db8:ff::1 (LM1/HAA1: dmmd)   2001:db8:ff::11 (sender)
#
# Checks the control socket (mode 0600, show *, -j JSON, errors and exit
# codes; dmmctl help, version, abbreviations, filters, -n, clear counters),
# that a malformed datagram is counted and charged to its sender,
# that SIGHUP applies a timer change and refuses a role or address change
# (keeping the running configuration and the daemon up), and that SIGTERM
# exits cleanly and removes the socket, with no sanitizer report (the
# ASan+UBSan build, lib_dmm.sh). Skips when not root.
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
command -v ip >/dev/null || { echo "FAIL: no ip(8) (make deps)"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: no python3 (make deps)"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: no jq (make deps)"; exit 1; }
dmm_bins || { echo "FAIL: make"; exit 1; }
ns=dmmc-$$
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
in_ns() { ip netns exec "$ns" "$@"; }
ctl() { in_ns "$DMMCTL" -s "$tmp/ctl.sock" "$@"; }

ip netns add "$ns" || exit 1
in_ns ip link set lo up
in_ns ip addr add 2001:db8:ff::1/128 dev lo nodad
in_ns ip addr add 2001:db8:ff::11/128 dev lo nodad
cp examples/figure1/keys "$tmp/keys" && chmod 600 "$tmp/keys"
sed -e "s|^control .*|control \"$tmp/ctl.sock\"|" \
    -e "s|^#event-log .*|event-log \"$tmp/events\"\nsignalling udp|" \
    -e "s|^state .*|state \"$tmp/state\"|" \
    examples/figure1/lm1haa1.conf >"$tmp/lm1.conf"

ip netns exec "$ns" "$DMMD" -d -v -f "$tmp/lm1.conf" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 50); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
[ -S "$tmp/ctl.sock" ] || { bad "control socket not created"; cat "$tmp/log"; exit 1; }
[ "$(stat -c %a "$tmp/ctl.sock")" = 600 ] || bad "control socket mode $(stat -c %a "$tmp/ctl.sock")"

# show config is the normalized configuration, as dmmd -nv prints it
dmmd_n -nv -f "$tmp/lm1.conf" >"$tmp/nv"
ctl show config >"$tmp/shown" || bad "show config failed"
cmp -s "$tmp/nv" "$tmp/shown" || { bad "show config differs from dmmd -nv"; diff "$tmp/nv" "$tmp/shown"; }

ctl show leases >"$tmp/out" || bad "show leases failed"
[ ! -s "$tmp/out" ] || bad "leases on a fresh HAA: $(cat "$tmp/out")"
[ "$(ctl -j show bindings)" = "[]" ] || bad "JSON bindings of a fresh LM is not []"
ctl show mns 2>"$tmp/err" && bad "show mns on a node without mr succeeded"
grep -q "does not run the mr role" "$tmp/err" || bad "show mns error: $(cat "$tmp/err")"
ctl attach lo 02:00:00:00:00:01 2>/dev/null && bad "attach on a node without mr succeeded"
ctl show nonsense 2>/dev/null; [ $? = 2 ] || bad "dmmctl: bad argument should exit 2"

# a 3-byte datagram from ::11: dropped as short, charged to ::11
in_ns python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:db8:ff::11", 0))
s.sendto(b"\x3b\x00\x05", ("2001:db8:ff::1", 5436))'
sleep 0.3
ctl -j show counters >"$tmp/counters.json" || bad "show counters failed"
python3 - "$tmp/counters.json" <<'PY' || bad "counters JSON"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["rx"] == 1 and c["drop_short"] == 1, c
assert sum(v for k, v in c.items() if k.startswith("drop_")) == 1, c
assert c["ctl_requests"] >= 5, c
PY
ctl show peers | grep -q '^2001:db8:ff::11 role mr:ln1 rx 0 rx_dropped 1 ' ||
	{ bad "peer ::11 not charged with the drop"; ctl show peers; }
ctl -j show peers | python3 -c 'import json,sys; json.load(sys.stdin)' || bad "peers JSON"
ctl -j show config | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["text"].startswith("node lm1haa1\n")' ||
	bad "config JSON"

# dmmctl for operators (issue 12): help and version, abbreviations, filters,
# -n NODE, errors under -j, clear counters.
"$DMMCTL" help | grep -q '^  show bindings \[MNID|PREFIX\]' || bad "dmmctl help"
for h in -h --help; do "$DMMCTL" $h >/dev/null || bad "dmmctl $h exit $?"; done
"$DMMCTL" -V | grep -qx "dmmctl $(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)" ||
	bad "dmmctl -V: $("$DMMCTL" -V)"
ctl version | grep -q '^dmmd .* node lm1haa1 uptime [0-9]*s$' || bad "version: $(ctl version)"
[ "$(ctl sh bind)" = "$(ctl show bindings)" ] || bad "sh bind is not show bindings"
ctl -j sh le | jq -e 'type == "array"' >/dev/null || bad "-j sh le"
out=$(ctl -j s c); rc=$?
[ $rc = 2 ] && echo "$out" | jq -e '.error | test("ambiguous: cache, counters, config")' >/dev/null ||
	bad "ambiguous 's c': rc $rc, $out"
out=$(ctl -j show mns); rc=$?
[ $rc = 1 ] && echo "$out" | jq -e '.error == "this node does not run the mr role"' >/dev/null ||
	bad "-j error: rc $rc, $out"
out=$(ctl -j show peers 2001:db8:ff::77); rc=$?
[ $rc = 1 ] && echo "$out" | jq -e '.error | test("not a peer")' >/dev/null || bad "unknown peer: $out"
long=$(printf 'x%.0s' $(seq 300)) # no prefix, no address, too long for an MN id
out=$(ctl -j show leases "$long"); rc=$?
[ $rc = 1 ] && echo "$out" | jq -e '.error | test("is not an MN identifier, an IPv6 prefix")' >/dev/null ||
	bad "bad filter: rc $rc, $out"
[ "$(ctl -j show peers 2001:db8:ff::11 | jq -c '[.[].address]')" = '["2001:db8:ff::11"]' ] ||
	bad "peer filter: $(ctl -j show peers 2001:db8:ff::11)"
ctl -j show peers 2001:db8:ff::11 | jq -e '.[0].roles == ["mr:ln1"] and .[0].rx_dropped == 1 and .[0].last_rx_ago_ms == null' >/dev/null ||
	bad "peer roles: $(ctl -j show peers 2001:db8:ff::11)"
[ "$(DMMCTL_RUNDIR=$tmp in_ns "$DMMCTL" -n ctl show config)" = "$(ctl show config)" ] ||
	bad "-n ctl with DMMCTL_RUNDIR is not -s $tmp/ctl.sock"
ctl -j show counters | jq -e '.counters_reset_time == null and .rx == 1' >/dev/null ||
	bad "counters before a clear: $(ctl -j show counters)"
t=$(ctl -j clear counters | jq -r .counters_reset_time)
echo "$t" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' || bad "reset time '$t'"
ctl -j show counters | jq -e --arg t "$t" '.counters_reset_time == $t and .rx == 0 and .drop_short == 0' \
	>/dev/null || bad "counters after clear: $(ctl -j show counters)"
ctl show counters | grep -q "^counters_reset_time  *$t$" || bad "text reset time"

# SIGHUP. reload_log N: wait until the log has N "reload:" lines, print the last.
reload_log() {
	for _ in $(seq 30); do
		[ "$(grep -c "reload:" "$tmp/log")" -ge "$1" ] && break; sleep 0.1
	done
	grep "reload:" "$tmp/log" | sed -n "$1p"
}
cp "$tmp/lm1.conf" "$tmp/lm1.orig"
# a timer change is applied: show config is the new file, normalized
sed -i 's/lease 1h/lease 2h/' "$tmp/lm1.conf"
kill -HUP "$pid"
reload_log 1 | grep -q "reload: applied changes to timers$" || bad "timer reload: $(reload_log 1)"
dmmd_n -nv -f "$tmp/lm1.conf" >"$tmp/nv2"
ctl show config >"$tmp/shown" || bad "show config after reload failed"
cmp -s "$tmp/nv2" "$tmp/shown" || { bad "show config is not the reloaded file"; diff "$tmp/nv2" "$tmp/shown"; }
grep -q "^	lease 2h$" "$tmp/shown" || bad "lease 2h not applied"
# a role change (with a timer change): refused as a whole, old config kept
# (show config adds the failed reload after the configuration, as comments)
sed -i -e 's/^roles lm haa$/roles haa/' -e 's/binding 10m/binding 20m/' "$tmp/lm1.conf"
kill -HUP "$pid"
reload_log 2 | grep -q "reload: changes to node/address/roles need a restart; keeping the running configuration$" ||
	bad "role change: $(reload_log 2)"
ctl show config | sed '/^# the reload at .* failed/,$d' >"$tmp/shown" ||
	bad "dmmd not answering after a refused reload"
cmp -s "$tmp/nv2" "$tmp/shown" || { bad "refused reload changed the config"; diff "$tmp/nv2" "$tmp/shown"; }
# an address change (and the domain map that names it): refused
sed -e 's/lease 1h/lease 2h/' -e 's/^address 2001:db8:ff::1$/address 2001:db8:ff::9/' \
    -e 's/^\(\t[lh][ma]a\?\) 2001:db8:ff::1$/\1 2001:db8:ff::9/' "$tmp/lm1.orig" >"$tmp/lm1.conf"
dmmd_n -n -f "$tmp/lm1.conf" 2>/dev/null || bad "address-change test file does not parse"
kill -HUP "$pid"
reload_log 3 | grep -q "reload: changes to node/address/roles, networks need a restart" ||
	bad "address change: $(reload_log 3)"
# a file with errors: refused, still running
echo "bogus directive" >>"$tmp/lm1.conf"
kill -HUP "$pid"
reload_log 4 | grep -q "has errors; keeping the running configuration" || bad "bad file: $(reload_log 4)"
kill -0 "$pid" 2>/dev/null || bad "dmmd died on reload"
ctl show config | sed '/^# the reload at .* failed/,$d' >"$tmp/shown" &&
	cmp -s "$tmp/nv2" "$tmp/shown" || bad "config after refused reloads"
# back to the same file as running: unchanged
sed 's/lease 1h/lease 2h/' "$tmp/lm1.orig" >"$tmp/lm1.conf"
kill -HUP "$pid"
reload_log 5 | grep -q "reload: configuration unchanged$" || bad "no-op reload: $(reload_log 5)"

kill -TERM "$pid"
for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then bad "dmmd still running after SIGTERM"; else
	wait "$pid"; rc=$?; [ $rc = 0 ] || bad "dmmd exit status $rc"; fi
pid=
[ -e "$tmp/ctl.sock" ] && bad "control socket left behind"
grep -q "lm1haa1 shutting down" "$tmp/log" || bad "no shutdown log line"
san_check "$tmp/log" || fail=1
[ $fail = 0 ] || { echo "--- dmmd log"; cat "$tmp/log"; }
exit $fail
