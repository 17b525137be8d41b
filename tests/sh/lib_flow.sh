# lib_flow.sh: a long-lived TCP flow for the figure-1 fault-injection tests
# (sourced after lib_lab.sh, not run).
#   flow_start FROM TO ADDR PORT SECS  a TCP connection FROM -> ADDR (in TO),
#                          established before it returns; the client sends
#                          a 1 KiB chunk every 10 ms for SECS seconds, then
#                          closes; the server hashes what it got
#   flow_check             wait for the flow to end; bad() unless the server
#                          received every byte the client sent (same SHA-256,
#                          no reset); prints both ends and the longest gap
#                          between two chunks at the server
flow_start() {
	local from=$1 to=$2 addr=$3 port=$4 secs=$5
	FLOW_DIR=$DMMLAB_RUN/flow.$port
	mkdir -p "$FLOW_DIR"
	x "$to" python3 -c '
import hashlib, socket, sys, time
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(20)
open(sys.argv[3] + "/ready", "w").close()
c, a = s.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0; gap = 0.0; last = time.monotonic()
try:
    while True:
        b = c.recv(65536)
        now = time.monotonic()
        if not b: break
        gap = max(gap, now - last); last = now
        h.update(b); n += len(b)
    print(n, h.hexdigest(), "gap %.2fs" % gap)
except OSError as e:
    print(n, "error", e)' "$addr" "$port" "$FLOW_DIR" >"$FLOW_DIR/rx" 2>&1 &
	FLOW_SRV=$!
	wait_until 10 test -e "$FLOW_DIR/ready" || bad "flow server on $to did not start"
	x "$from" python3 -c '
import hashlib, os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.settimeout(60)
open(sys.argv[4] + "/connected", "w").close()
h = hashlib.sha256(); n = 0; end = time.monotonic() + float(sys.argv[3])
try:
    while time.monotonic() < end:
        d = os.urandom(1024); s.sendall(d); h.update(d); n += len(d)
        time.sleep(0.01)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096): pass
    print(n, h.hexdigest())
except OSError as e:
    print(n, "error", e)' "$addr" "$port" "$secs" "$FLOW_DIR" >"$FLOW_DIR/tx" 2>&1 &
	FLOW_CLI=$!
	wait_until 10 test -e "$FLOW_DIR/connected" || bad "flow $from -> $addr not established"
}

flow_check() {
	wait "$FLOW_CLI" || bad "flow client failed"
	wait "$FLOW_SRV" || bad "flow server failed"
	local tx rx
	tx=$(cat "$FLOW_DIR/tx") rx=$(cat "$FLOW_DIR/rx")
	echo "flow: sent $tx; received $rx"
	[ -n "$tx" ] && [ "$(echo "$rx" | cut -d' ' -f1-2)" = "$tx" ] ||
		bad "flow broken: sent '$tx', received '$rx'"
}
