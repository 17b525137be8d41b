#!/bin/bash
# dmm-test: netns
# dmmd's logs (issue 12, item 7), captured from /dev/log: a private mount
# namespace puts our datagram socket there (tmpfs /dev), so nothing of the
# host's syslog is touched.
#   - as a daemon (no -d), once detached, every line is tagged
#     dmmd[NODE][PID] with the facility daemon and its priority (info);
#   - in the foreground under systemd (stderr is the journal stream that
#     JOURNAL_STREAM names), the start (or a failed start) goes to stderr
#     with "<PRIORITY>" prefixes, then, once running, lines go to syslog
#     tagged the same way; with stderr anything else, all to stderr;
#   - input cannot flood them: of 3000 bad signalling messages (raw next
#     header 135, three kinds of malformation, from a domain peer's
#     address) every one dmmd reads is counted dropped (dmmctl) but they
#     cost a few lines a second; 300 metrics requests with garbage likewise;
#   - no key material, ever: with -v, through a reload with a key file
#     whose bad line differs from a real key by one digit, and a reload
#     adding a key, no line holds any key of either file in hex (either
#     case, or any 16-digit run of it) or base64.
# Root only (else 77).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
fail=0
bad() { echo "FAIL: $*"; fail=1; }
dmm_require ip jq unshare curl

tmp=$(mktemp -d /tmp/dmm_syslog.XXXXXX)
chmod 755 "$tmp"
ns=dmmlog$$
pids=()
cleanup() {
	local rc=$? p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# whatever still runs in our namespace is ours (a daemon that detached)
	for p in $(ip netns pids $ns 2>/dev/null); do kill "$p" 2>/dev/null; done
	for _ in $(seq 50); do [ -z "$(ip netns pids $ns 2>/dev/null)" ] && break; sleep 0.1; done
	[ $rc = 0 ] || { echo "--- syslog capture (tail)"; tail -30 "$tmp/syslog" 2>/dev/null; }
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
ip netns add $ns || { echo "FAIL: ip netns add"; exit 1; }
ip -n $ns link set lo up
ip -n $ns addr add 2001:db8:ff::1/128 dev lo nodad
ip -n $ns addr add 2001:db8:ff::12/128 dev lo nodad

# The syslog socket: one datagram per line, appended to $tmp/syslog.
/usr/bin/python3 - "$tmp/log.sock" "$tmp/syslog" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
PY
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/log.sock" ] && break; sleep 0.1; done
# in_ns CMD...: CMD in the namespace, with /dev/log our socket (private
# mount namespace, tmpfs /dev with null and urandom)
in_ns() {
	local sock=$tmp/log.sock
	unshare -m --propagation private sh -c '
		sock=$1 ns=$2; shift 2
		mount -t tmpfs -o mode=755 tmpfs /dev &&
		mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/urandom c 1 9 &&
		ln -s "$sock" /dev/log && exec ip netns exec "$ns" "$@"' sh "$sock" $ns "$@"
}

K1=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
K2=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
K3=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "1 $K1" >"$tmp/keys"
chmod 600 "$tmp/keys"
cat >"$tmp/lm.conf" <<EOF
node lm1
address 2001:db8:ff::1
roles lm haa
local-network ln1
keys "keys"
control "$tmp/lm.sock"
metrics [::1]:9442
network ln1 {
	prefix 2001:db8:1::/48
	lm 2001:db8:ff::1
	haa 2001:db8:ff::1
	mr 2001:db8:ff::12
}
haa { pool 2001:db8:1:1200::/56 length 64 mr 2001:db8:ff::12 }
EOF
dmmd_n -n -f "$tmp/lm.conf" || { bad "lm.conf"; exit 1; }
ctl() { "$DMMCTL" -j -s "$tmp/lm.sock" "$@"; }
logged() { grep -c "$1" "$tmp/syslog"; }
wait_log() { for _ in $(seq 100); do grep -q "$1" "$tmp/syslog" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# ---- as a daemon, with -v
# (what it logs before it detaches goes to stderr, as its start errors)
in_ns "$DMMD" -v -f "$tmp/lm.conf" 2>"$tmp/stderr0"
wait_log "running as user" || { bad "no 'running as user' line on /dev/log"; exit 1; }
line=$(grep -m1 "running as user" "$tmp/syslog")
echo "syslog: $line"
pid=$(sed -n 's/.* dmmd\[lm1\]\[\([0-9]*\)\]: running as user.*/\1/p' <<<"$line")
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || bad "line not tagged dmmd[lm1][PID] of a live dmmd: $line"
[ -n "$pid" ] && pids+=("$pid")
grep -q "^<30>" <<<"$line" || bad "line not <30> (daemon.info): $line"
n_other=$(grep -vc "dmmd\[lm1\]\[$pid\]: " "$tmp/syslog")
[ "$n_other" = 0 ] || bad "$n_other lines without the tag dmmd[lm1][$pid]"

# ---- input cannot flood the log: 3000 bad messages from MR 2001:db8:ff::12
n0=$(wc -l <"$tmp/syslog")
t0=$(date +%s%N)
ip netns exec $ns /usr/bin/python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
s.bind(("2001:db8:ff::12", 0))
bad = [bytes([59, 0, 0, 0, 0, 0]),                              # short
       bytes([59, 1, 200, 0, 0, 0, 0, 0]) + bytes(8),           # unknown type
       bytes([59, 3, 1, 0, 0, 0, 0, 0]) + bytes(24)]            # no authenticator
for i in range(1000):  # in bursts of 60: a loaded machine's dmmd keeps up with most
    for b in bad:
        s.sendto(b, ("2001:db8:ff::1", 0, 0, 0))
    if i % 20 == 19:
        time.sleep(0.005)
PY
prev=-1 rx=0
while [ "$rx" != "$prev" ]; do # until the socket buffer's last ones are read
	prev=$rx
	sleep 0.2
	rx=$(ctl show counters | jq '.rx')
done
drops=$(ctl show counters | jq '[to_entries[] | select(.key | startswith("drop_")) | .value] | add')
ip netns exec $ns /usr/bin/python3 - <<'PY' || bad "metrics: garbage requests"
import socket
for i in range(300):
    s = socket.create_connection(("::1", 9442), timeout=2)
    s.sendall(b"BR%d /x HTTP/1.1\r\n\r\n" % i if i % 2 else b"GARBAGE\r\n\r\n")
    r = s.recv(100).split(b"\r\n")[0]
    assert r in (b"HTTP/1.1 405 Method Not Allowed", b"HTTP/1.1 400 Bad Request"), r
    s.close()
PY
secs=$((($(date +%s%N) - t0) / 1000000000 + 1))
n1=$(wc -l <"$tmp/syslog")
echo "3000 bad messages sent (dmmd read $rx, dropped $drops) and 300 bad HTTP requests in ${secs}s: $((n1 - n0)) log lines"
# a burst overflows the raw socket's buffer: what dmmd read, it dropped
[ "$rx" -ge 300 ] && [ "$drops" = "$rx" ] || bad "received $rx bad messages, dropped $drops"
# the core logs one line a second per drop reason, the daemon's sites 10
# a second each: a flood of 3300 inputs may cost a few dozen lines a
# second, never one each
[ $((n1 - n0)) -le $((40 * secs)) ] || bad "$((n1 - n0)) lines in ${secs}s for 3300 bad inputs"

# ---- reloads with key files: one bad line, one more key
printf '1 %s\n2 %s\n' "$K1" "${K2:0:63}g" >"$tmp/keys"
kill -HUP "$pid"
wait_log "has errors; keeping" || bad "no reload error logged"
grep "keys:2:" "$tmp/syslog" | head -1
printf '1 %s\n2 %s\n3 %s\n' "$K1" "$K2" "$K3" >"$tmp/keys"
kill -HUP "$pid"
wait_log "reload: applied changes to keys" || bad "no key reload logged"
kill "$pid"
wait_log "lm1 shutting down" || bad "no shutdown line"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done

# ---- foreground: stderr the journal stream -> syslog; else stderr
: >"$tmp/stderr"
JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/stderr") in_ns "$DMMD" -d -f "$tmp/lm.conf" 2>>"$tmp/stderr" &
pids+=($!)
for _ in $(seq 100); do [ "$(logged "running as user")" -ge 2 ] && break; sleep 0.1; done
line=$(grep "running as user" "$tmp/syslog" | sed -n 2p)
jpid=$(sed -n 's/.* dmmd\[lm1\]\[\([0-9]*\)\]: running as user.*/\1/p' <<<"$line")
echo "syslog: $line"
[ -n "$jpid" ] && kill -0 "$jpid" 2>/dev/null ||
	bad "-d under JOURNAL_STREAM: no line tagged dmmd[lm1][PID] of a live dmmd once started: '$line'"
grep -qx "<6>lm1 started: roles lm haa" "$tmp/stderr" ||
	bad "-d under JOURNAL_STREAM: the start not on stderr with its priority: $(head -3 "$tmp/stderr")"
if [ -n "$jpid" ]; then
	pids+=("$jpid")
	kill "$jpid"
	for _ in $(seq 100); do kill -0 "$jpid" 2>/dev/null || break; sleep 0.1; done
fi
grep -q "lm1 shutting down" "$tmp/stderr" && bad "-d under JOURNAL_STREAM: shutdown on stderr, not syslog"
# a failed start: on stderr (the journal files it under the unit even
# though the process is gone), with priorities
: >"$tmp/stderr1"
JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/stderr1") in_ns "$DMMD" -d -f "$tmp/nosuch.conf" \
	2>>"$tmp/stderr1" && bad "dmmd started without a configuration file"
grep -q "^<4>.*nosuch.conf: No such file" "$tmp/stderr1" && grep -q "^<2>.*configuration has errors" \
	"$tmp/stderr1" || bad "-d under JOURNAL_STREAM, failed start: $(cat "$tmp/stderr1")"
echo "failed start under JOURNAL_STREAM: $(head -1 "$tmp/stderr1")"
n=$(logged "running as user")
in_ns "$DMMD" -d -f "$tmp/lm.conf" 2>"$tmp/stderr2" &
pids+=($!)
for _ in $(seq 100); do grep -q "running as" "$tmp/stderr2" && break; sleep 0.1; done
grep -qx "lm1 started: roles lm haa" "$tmp/stderr2" ||
	bad "-d without JOURNAL_STREAM: no start line on stderr: $(head -5 "$tmp/stderr2")"
grep -qx "running as user nobody (uid 65534), capabilities none, seccomp filter on" "$tmp/stderr2" ||
	bad "-d without JOURNAL_STREAM: not all on stderr: $(head -5 "$tmp/stderr2")"
[ "$(logged "running as user")" = "$n" ] || bad "-d without JOURNAL_STREAM: lines on /dev/log"
"$DMMCTL" -s "$tmp/lm.sock" show config >/dev/null || bad "dmmctl on the last dmmd"
spid=$(ip netns pids $ns | while read -r p; do
	[ "$(readlink /proc/$p/exe)" = "$(readlink -f "$DMMD")" ] && echo $p; done | head -1)
[ -n "$spid" ] && { kill "$spid"; for _ in $(seq 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done; }
san_check "$tmp/stderr" "$tmp/stderr1" "$tmp/stderr2" || fail=1

# ---- no key material in anything logged
nlines=$(wc -l <"$tmp/syslog")
cat "$tmp/syslog" "$tmp/stderr0" "$tmp/stderr" "$tmp/stderr1" "$tmp/stderr2" >"$tmp/all"
# leaks FILE: how many of the keys FILE holds, in hex (either case, or a
# 16-digit run) or base64
leaks() {
	local k b64 i n=0
	for k in "$K1" "$K2" "$K3"; do
		b64=$(/usr/bin/python3 -c \
			'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$k")
		for i in 0 16 32 48; do
			grep -qiF "${k:$i:16}" "$1" && { n=$((n + 1)); continue 2; }
		done
		grep -qF "${b64:0:20}" "$1" && n=$((n + 1))
	done
	echo $n
}
[ "$(leaks "$tmp/keys")" = 3 ] || bad "the leak check does not find the keys in the key file itself"
/usr/bin/python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' \
	"$K2" >"$tmp/b64"
[ "$(leaks "$tmp/b64")" = 1 ] || bad "the leak check does not find a key in base64"
leak=$(leaks "$tmp/all")
[ "$leak" = 0 ] || bad "$leak of 3 keys in the logs"
[ $leak = 0 ] && echo "ok: none of 3 keys in $nlines syslog lines and the stderr logs (hex, 16-digit runs, base64)"
[ $fail = 0 ] && echo "ok: logs tagged dmmd[NODE], rate-limited against input, free of keys"
exit $fail
