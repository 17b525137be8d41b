#!/bin/bash
# dmm-test: netns per-driver
# Control clients that never talk do not stall signalling. On the figure-1
# lab, 40 clients connect to the control socket of both MRs of a handover
# (10 on mr12, 20 on mr11) and of LM1 (10), and send nothing; 5 more on
# mr12 send a request and never read the answer. Meanwhile MN1 moves
# mr12 -> mr11:
#   - the move completes (MN1 served at mr11, reachable) within 3 s, as
#     without them (a daemon that waited 500 ms for each silent client
#     would need 15 s);
#   - dmmctl on mr11 answers in under 0.5 s while they are connected;
#   - every silent client is closed by the daemon after its deadline
#     (ctl_timeouts), and a client beyond 16 at once is refused (ctl_refused);
#     the deaf ones got their answer and were closed.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

lab_up
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"

# silent.py SOCK N SECS [REQUEST]: N clients, for SECS; with REQUEST each
# sends it and never reads. Prints how many the daemon closed before the end.
cat >"$DMMLAB_RUN/silent.py" <<'PY'
import socket, sys, time
path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
req = sys.argv[4].encode() + b"\n" if len(sys.argv) > 4 else None
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.connect(path)
    if req:
        s.sendall(req)
    socks.append(s)
time.sleep(secs)
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                closed += 1
                break
    except BlockingIOError:
        pass
    except ConnectionResetError:
        closed += 1
print(closed)
PY
pids=()
for n in mr12 lm1haa1; do
	python3 "$DMMLAB_RUN/silent.py" "$LABDIR/$n.sock" 10 2.5 >"$DMMLAB_RUN/silent.$n" &
	pids+=($!)
done
python3 "$DMMLAB_RUN/silent.py" "$LABDIR/mr11.sock" 20 2.5 >"$DMMLAB_RUN/silent.mr11" &
pids+=($!)
python3 "$DMMLAB_RUN/silent.py" "$LABDIR/mr12.sock" 5 2.5 "json show config" >"$DMMLAB_RUN/deaf.mr12" &
pids+=($!)
sleep 0.2
t0=$(date +%s%N)
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 3 mn_ready mn1 mr11 || bad "mn1 not attached at mr11 within 3 s of the move"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "move mn1 mr12 -> mr11 with silent control clients: served after $ms ms"
t1=$(date +%s%N)
ctl mr11 show mns >/dev/null || bad "dmmctl on mr11 failed"
q=$((($(date +%s%N) - t1) / 1000000))
echo "dmmctl on mr11 answered in $q ms"
[ "$q" -lt 500 ] || bad "dmmctl on mr11 took $q ms"
x mn2 ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
for p in "${pids[@]}"; do wait "$p"; done
for f in silent.mr12 silent.mr11 silent.lm1haa1 deaf.mr12; do
	echo "$f: $(cat "$DMMLAB_RUN/$f") closed by the daemon"
done
# 16 slots: on mr11, 20 clients at once: 16 kept (and closed at their
# deadline), 4 refused at once; the deaf ones answered and closed.
[ "$(cat "$DMMLAB_RUN/silent.mr12")" = 10 ] || bad "mr12 did not close its silent clients"
[ "$(cat "$DMMLAB_RUN/silent.lm1haa1")" = 10 ] || bad "lm1 did not close its silent clients"
[ "$(cat "$DMMLAB_RUN/silent.mr11")" = 20 ] || bad "mr11 did not close all of its 20 clients"
[ "$(cat "$DMMLAB_RUN/deaf.mr12")" = 5 ] || bad "mr12 did not close its deaf clients"
[ "$(counter mr12 ctl_timeouts)" -ge 10 ] || bad "mr12 ctl_timeouts $(counter mr12 ctl_timeouts)"
[ "$(counter mr11 ctl_timeouts)" -ge 16 ] || bad "mr11 ctl_timeouts $(counter mr11 ctl_timeouts)"
[ "$(counter mr11 ctl_refused)" -ge 4 ] || bad "mr11 refused $(counter mr11 ctl_refused) clients (20 at once, 16 slots)"
lab_result "a move with 45 silent or deaf control clients took $ms ms; dmmctl answered in $q ms"
