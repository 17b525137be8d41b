#!/bin/bash
# dmm-test: netns
# dmmd's metrics endpoint (metrics [::1]:PORT, daemon/metrics.c), on an LM/HAA
# and an MR (its data plane, dataplane auto) in one network namespace:
#   - each page passes `promtool check metrics` (Debian's prometheus) and,
#     asked for with Accept: application/openmetrics-text, parses as
#     OpenMetrics (python3-prometheus-client);
#   - every counter of dmmctl -j show counters is on the page (its HELP
#     names it), with the scrape before <= dmmctl <= the scrape after;
#   - the tables' sizes and limits, the node/roles/driver info metrics;
#   - slow scrapers never stall signalling: with 7 clients connected that
#     send nothing, one that trickles its request and one that never
#     reads (every slot), an attach on the MR (dmmctl attach) is signalled to
#     the HAA and answered, and dmmctl answers in under 0.5 s; one more
#     scraper gets 503 at once; the silent ones are closed at their deadline
#     (dmm_metrics_timeouts_total), after which a scrape works again;
#   - dmmctl clear counters leaves the metrics' counters monotonic and
#     sets dmm_counters_cleared_time_seconds;
#   - 405 for POST, 404 elsewhere, 400 for garbage, 431 for a huge request,
#     HEAD without a body.
# Sanitizer build (lib_dmm.sh); root only (else 77).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
fail=0
bad() { echo "FAIL: $*"; fail=1; }
dmm_require promtool curl ip jq
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
	{ echo "FAIL: python3-prometheus-client not installed (scripts/deps.sh)"; exit 1; }
chk=tests/sh/metrics_check.py

tmp=$(mktemp -d /tmp/dmm_metrics.XXXXXX)
ns=dmmmet$$
pids=()
cleanup() {
	local rc=$? p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# whatever still runs in our namespace is ours (a daemon that detached)
	for p in $(ip netns pids $ns 2>/dev/null); do kill "$p" 2>/dev/null; done
	for _ in $(seq 50); do [ -z "$(ip netns pids $ns 2>/dev/null)" ] && break; sleep 0.1; done
	san_check "$tmp"/*.log || rc=1
	[ $rc = 0 ] || for f in "$tmp"/*.log; do echo "== $f"; tail -20 "$f"; done
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
ip netns add $ns || { echo "FAIL: ip netns add"; exit 1; }
ip -n $ns link set lo up
ip -n $ns addr add 2001:db8:ff::1/128 dev lo nodad
ip -n $ns addr add 2001:db8:ff::12/128 dev lo nodad
ip netns exec $ns sysctl -qw net.ipv6.conf.all.forwarding=1
x() { ip netns exec $ns "$@"; }
cp examples/figure1/keys "$tmp/keys" && chmod 600 "$tmp/keys"
common() {
	cat <<-EOF
	local-network ln1
	keys "keys"
	control "$tmp/$1.sock"
	metrics [::1]:$2
	network ln1 {
		prefix 2001:db8:1::/48
		lm 2001:db8:ff::1
		haa 2001:db8:ff::1
		mr 2001:db8:ff::12
	}
	EOF
}
{ printf 'node lm1\naddress 2001:db8:ff::1\nroles lm haa\n'; common lm 9442
  echo 'haa { pool 2001:db8:1:1200::/56 length 64 mr 2001:db8:ff::12 }'; } >"$tmp/lm.conf"
{ printf 'node mr1\naddress 2001:db8:ff::12\nroles mr\n'; common mr 9443
  echo 'mr { access "mn*" }'; } >"$tmp/mr.conf"
dmm_conf_driver mr "$tmp/mr.conf"
for n in lm mr; do
	dmmd_n -n -f "$tmp/$n.conf" 2>"$tmp/$n.n" || { bad "$n.conf: $(cat "$tmp/$n.n")"; exit 1; }
	ip netns exec $ns "$DMMD" -d -f "$tmp/$n.conf" >"$tmp/$n.log" 2>&1 &
	pids+=($!) # ip execs dmmd: this is dmmd
done
ctl() { local n=$1; shift; "$DMMCTL" -j -s "$tmp/$n.sock" "$@"; }
scrape() { x curl -sS -m 5 "$@"; }
up() { scrape -o /dev/null "http://[::1]:$1/metrics"; }
for p in 9442 9443; do
	for _ in $(seq 100); do up $p 2>/dev/null && break; sleep 0.1; done
	up $p || { bad "no metrics on [::1]:$p"; exit 1; }
done
grep -h "metrics on" "$tmp"/*.log

# ---- the pages: promtool, OpenMetrics, every dmmctl counter
for n in lm:9442 mr:9443; do
	node=${n%:*} port=${n#*:}
	scrape "http://[::1]:$port/metrics" >"$tmp/$node.1"
	ctl $node show counters >"$tmp/$node.ctl"
	scrape "http://[::1]:$port/metrics" >"$tmp/$node.2"
	if out=$(promtool check metrics <"$tmp/$node.1" 2>&1); then
		echo "ok: $node: promtool check metrics ($(grep -vc '^#' "$tmp/$node.1") samples)"
	else
		bad "$node: promtool check metrics: $out"
	fi
	/usr/bin/python3 $chk counters "$tmp/$node.1" "$tmp/$node.ctl" "$tmp/$node.2" || bad "$node: counters"
	scrape -H 'Accept: application/openmetrics-text; version=1.0.0' -D "$tmp/$node.omh" \
		"http://[::1]:$port/metrics" >"$tmp/$node.om"
	grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$tmp/$node.omh" ||
		bad "$node: OpenMetrics asked, got $(grep -i content-type "$tmp/$node.omh")"
	[ "$(tail -1 "$tmp/$node.om")" = "# EOF" ] || bad "$node: OpenMetrics page does not end with # EOF"
	/usr/bin/python3 $chk openmetrics "$tmp/$node.om" || bad "$node: not OpenMetrics"
done
get() { /usr/bin/python3 $chk get "$@"; }
[ "$(get "$tmp/lm.1" dmm_node_info node=lm1 roles=lm,haa local_network=ln1)" = 1 ] ||
	bad "lm: no dmm_node_info{node=lm1,roles=lm,haa}"
[ "$(get "$tmp/lm.1" dmm_table_limit table=leases)" = 65536 ] || bad "lm: leases limit"
get "$tmp/lm.1" dmm_table_entries table=mns >/dev/null && bad "lm: an mns table on an LM/HAA"
drv=$(jq -r '.dataplane' <(ctl mr show config))
[ "$(get "$tmp/mr.1" dmm_dataplane_info driver="$drv")" = 1 ] ||
	bad "mr: no dmm_dataplane_info{driver=$drv}"
echo "mr: dmm_dataplane_info driver=$drv"
for t in mns cache handover_contexts pending_requests; do
	get "$tmp/mr.1" dmm_table_limit table=$t >/dev/null || bad "mr: no limit of table $t"
done

# ---- slow scrapers
cat >"$tmp/slow.py" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
def conn(rcvbuf=None):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("::1", port))
    return s
deaf = conn(1024)
deaf.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
trickle = conn()
trickle.sendall(b"GET /metrics HTTP/1.1\r\n")
silent = [conn() for _ in range(7)]
time.sleep(0.3)
# every slot is held now (the deaf one's too, unless its answer fit in the
# socket buffers and it was closed: then the seventh silent one has it)
extra = conn()
extra.settimeout(2)
print("extra:", extra.recv(100).split(b"\r\n")[0].decode(), flush=True)
open(sys.argv[3], "w").close()
t0 = time.time()
while time.time() - t0 < secs:
    try:
        trickle.send(b"X")
    except OSError:
        break
    time.sleep(0.5)
closed = 0
for s in silent + [trickle]:
    s.setblocking(False)
    try:
        while s.recv(4096):
            pass
        closed += 1
    except BlockingIOError:
        pass
    except ConnectionResetError:
        closed += 1
print("closed by dmmd:", closed, "of 8", flush=True)
PY
x /usr/bin/python3 "$tmp/slow.py" 9442 4.5 "$tmp/held" >"$tmp/slow.out" 2>&1 &
slow=$!
for _ in $(seq 50); do [ -e "$tmp/held" ] && break; sleep 0.1; done
[ -e "$tmp/held" ] || bad "the slow clients did not connect"
rx0=$(jq .rx <(ctl lm show counters))
t0=$(date +%s%N)
ctl mr attach 1 02:00:00:00:00:77 >/dev/null || bad "dmmctl attach on the MR"
wait_hoa() { [ "$(jq -r '.[0].state' <(ctl mr show mns))" != allocating ] &&
	[ "$(jq length <(ctl lm show leases))" -ge 1 ]; }
for _ in $(seq 30); do wait_hoa && break; sleep 0.1; done
ms=$((($(date +%s%N) - t0) / 1000000))
wait_hoa || bad "attach not signalled to the HAA within 3 s while the LM's metrics slots are held"
rx1=$(jq .rx <(ctl lm show counters))
echo "attach signalled while 8 scrapers held every slot of the LM: $ms ms, LM rx $rx0 -> $rx1"
t1=$(date +%s%N)
ctl lm show counters >/dev/null || bad "dmmctl on the LM"
q=$((($(date +%s%N) - t1) / 1000000))
[ "$q" -lt 500 ] || bad "dmmctl on the LM took $q ms with the slots held"
echo "dmmctl on the LM answered in $q ms"
wait $slow
cat "$tmp/slow.out"
grep -q "^extra: HTTP/1.1 503" "$tmp/slow.out" || bad "a scraper beyond 8 did not get 503"
grep -q "closed by dmmd: 8 of 8" "$tmp/slow.out" || bad "dmmd did not close the silent and trickling scrapers"
scrape "http://[::1]:9442/metrics" >"$tmp/lm.3" || bad "no scrape after the slow clients"
to=$(get "$tmp/lm.3" dmm_metrics_timeouts_total)
rf=$(get "$tmp/lm.3" dmm_metrics_refused_total)
echo "lm: dmm_metrics_timeouts_total $to, dmm_metrics_refused_total $rf"
[ "${to:-0}" -ge 7 ] || bad "timeouts $to, want >= 7"
[ "${rf:-0}" -ge 1 ] || bad "refused $rf, want >= 1"

# ---- dmmctl clear counters clears dmmctl's view, never the metrics
rx_m=$(get "$tmp/lm.3" dmm_messages_received_total)
ctl lm clear counters >/dev/null || bad "dmmctl clear counters"
scrape "http://[::1]:9442/metrics" >"$tmp/lm.4"
[ "$(jq .rx <(ctl lm show counters))" = 0 ] || bad "dmmctl clear counters did not clear rx"
rx_m2=$(get "$tmp/lm.4" dmm_messages_received_total)
[ "$rx_m" -ge 1 ] && [ "$rx_m2" -ge "$rx_m" ] || bad "clear counters: metrics rx $rx_m then $rx_m2"
ct=$(get "$tmp/lm.4" dmm_counters_cleared_time_seconds)
[ "${ct%.*}" -ge "$(($(date +%s) - 60))" ] || bad "dmm_counters_cleared_time_seconds $ct"
echo "after dmmctl clear counters: dmmctl rx 0, metrics rx $rx_m -> $rx_m2 (monotonic), cleared at $ct"

# ---- errors
code() { x curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -X POST "http://[::1]:9442/metrics")" = 405 ] || bad "POST not 405"
[ "$(code "http://[::1]:9442/nope")" = 404 ] || bad "/nope not 404"
[ "$(code -H "X-Big: $(head -c 5000 /dev/zero | tr '\0' a)" "http://[::1]:9442/metrics")" = 431 ] ||
	bad "a 5000-byte header not 431"
r=$(printf 'hello\r\n\r\n' | x timeout 5 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("::1", 9442)); s.sendall(sys.stdin.buffer.read())
print(s.recv(100).split(b"\r\n")[0].decode())')
[ "$r" = "HTTP/1.1 400 Bad Request" ] || bad "garbage got '$r', not 400"
h=$(x curl -s -m 5 -I "http://[::1]:9442/metrics")
grep -q "^HTTP/1.1 200" <<<"$h" && grep -qi "^content-length: [1-9]" <<<"$h" || bad "HEAD: $h"
[ -z "$(x curl -s -m 5 -I "http://[::1]:9442/metrics" -o - | sed '1,/^\r$/d')" ] || bad "HEAD sent a body"

[ $fail = 0 ] && echo "ok: metrics endpoint: promtool, OpenMetrics, every dmmctl counter, slow scrapers"
exit $fail
