#!/bin/bash
# dmm-test: netns per-driver
# Figure 1 with new-hoa-on-arrival: MN1 at MR12 opens TCP connection A to
# MN2 (at MR31), then moves to MR11, which gives it a new prefix from its
# own pool (preferred) and keeps the old one deprecated (preferred lifetime
# 0). Then:
#   - MN1 has an address in both prefixes, the old one deprecated;
#   - a new connection B from MN1 (no bind: the kernel's source selection)
#     arrives at MN2 from the new HoA;
#   - connection A, kept open across the move, still works both ways (MN2
#     echoes every line) and still comes from the old HoA.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

lab_up "mr-conf new-hoa-on-arrival yes"
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
a2=$(mn_addr mn2 "$(mn_prefixes mn2 mr31)") || bad "mn2 has no address"
log=$DMMLAB_RUN/server.log go=$DMMLAB_RUN/go

# MN2: echo server, one line "peer text" per line received.
x mn2 python3 -c '
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 6000)); s.listen(4); s.settimeout(30)
def serve(c, peer):
    for line in c.makefile():
        log.write("%s %s\n" % (peer, line.strip())); c.sendall(b"echo " + line.encode())
while True:
    c, a = s.accept()
    threading.Thread(target=serve, args=(c, a[0]), daemon=True).start()
' "$log" &
srv=$!
LAB_CLEANUP_HOOK="kill $srv"
wait_until 10 listening mn2 6000 || bad "no server on mn2 port 6000"

# MN1: connection A, says A1, waits for $go, says A2, checks both echoes.
x mn1 python3 -c '
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 6000), timeout=20); f = s.makefile()
s.sendall(b"A1\n"); assert f.readline() == "echo A1\n"
while not os.path.exists(sys.argv[2]): time.sleep(0.05)
s.sendall(b"A2\n"); assert f.readline() == "echo A2\n", "no echo of A2"
print("A: both echoes received from", s.getsockname()[0])
' "$a2" "$go" &
conn_a=$!
wait_until 5 grep -q A1 "$log" || bad "connection A: A1 not received"

$L -l $LAB move mn1 mr11 || bad "move mn1 mr11"
wait_for 5 '[ "$(mn_all_prefixes mn1 mr11 | wc -l)" = 2 ]' ||
	bad "mn1 at mr11 has prefixes '$(mn_all_prefixes mn1 mr11)', want 2"
pn=$(mn_prefixes mn1 mr11)
echo "mr11 shows mn1: $(ctl mr11 show mns)"
case "$pn" in 2001:db8:1:11??::/64) ;; *) bad "new prefix '$pn' not from mr11's pool" ;; esac
wait_until 5 mn_addr mn1 "$pn" || bad "mn1 has no address in the new prefix $pn"
an=$(mn_addr mn1 "$pn")
[ "$(mn_addr mn1 "$p1")" = "$a1" ] || bad "mn1 lost its old HoA $a1"
x mn1 ip -6 addr show dev eth0 scope global
wait_until 3 sh -c "ip netns exec ${DMMLAB_PREFIX}mn1 ip -6 addr show dev eth0 | grep -A0 '$a1/' | grep -q deprecated" ||
	bad "old HoA $a1 not deprecated"

# Connection B: new, source chosen by the kernel.
x mn1 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 6000), timeout=10); f = s.makefile()
s.sendall(b"B\n"); assert f.readline() == "echo B\n"
print("B: from", s.getsockname()[0])' "$a2" || bad "connection B failed"
touch "$go"
wait $conn_a || bad "connection A broken after the move"

echo "--- mn2 saw:"; cat "$log"
[ "$(grep -c " " "$log")" = 3 ] || bad "server saw $(grep -c " " "$log") lines, want 3"
grep -qx "$a1 A1" "$log" || bad "A1 not from the old HoA $a1"
grep -qx "$a1 A2" "$log" || bad "A2 (after the move) not from the old HoA $a1"
grep -qx "$an B" "$log" || bad "B (new connection) not from the new HoA $an"
[ $fail = 0 ] || dump mr12 mr11 mr31
lab_result "old connection kept $a1 across the move, new one used $an"
