#!/usr/bin/python3
"""mn_rs.py IFNAME MAC [TIMEOUT_S]: an MN's network manager on a link change.

Started in the MN's namespace before a move: waits (rtnetlink, no polling)
for IFNAME to lose its carrier and get it back, then at once sends a Router
Solicitation (source link-layer option = MAC) and repeats it every 250 ms
until a Router Advertisement arrives. This is what NetworkManager or
systemd-networkd do on a carrier change (RFC 6059 detecting network
attachment); the kernel itself solicits only when an interface comes up,
not after a carrier flap. Started ahead, it costs nothing at the move, where
starting a program would cost tens of milliseconds. Exit 0 on an RA, 1 on
timeout (default 10 s). Prints the CLOCK_MONOTONIC ns of carrier-up, RS, RA.
"""
import json
import socket
import struct
import sys
import time

IFF_LOWER_UP = 0x10000
RTMGRP_LINK = 1
RTM_NEWLINK = 16


def rs_socket(ifname):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(ifname))
    flt = bytearray(b"\xff" * 32)          # ICMP6_FILTER: pass RA (134) only
    word = (134 >> 5) * 4
    flt[word:word + 4] = struct.pack("=I", 0xffffffff & ~(1 << (134 & 31)))
    s.setsockopt(socket.IPPROTO_ICMPV6, 1, bytes(flt))
    return s


def wait_flap(nl, index, deadline):
    """Block until the link was seen without carrier, then with it again."""
    seen_down = False
    while time.monotonic() < deadline:
        nl.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = nl.recv(65536)
        except socket.timeout:
            return False
        off = 0
        while off + 32 <= len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if typ == RTM_NEWLINK:
                _, _, _, idx, flags = struct.unpack_from("=BBHiI", data, off + 16)
                if idx == index:
                    up = bool(flags & IFF_LOWER_UP)
                    if not up:
                        seen_down = True
                    elif seen_down:
                        return True
            off += (ln + 3) & ~3
            if ln == 0:
                break
    return False


def main():
    ifname, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    index = socket.if_nametoindex(ifname)
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    nl.bind((0, RTMGRP_LINK))
    s = rs_socket(ifname)
    print("ready", flush=True)
    deadline = time.monotonic() + limit
    if not wait_flap(nl, index, deadline):
        return 1
    out = {"carrier_ns": time.monotonic_ns()}
    rs = bytes([133, 0, 0, 0, 0, 0, 0, 0, 1, 1]) + mac
    while time.monotonic() < deadline:
        s.sendto(rs, ("ff02::2", 0, 0, index))
        out.setdefault("rs_ns", time.monotonic_ns())
        s.settimeout(0.25)
        try:
            s.recv(1500)
            out["ra_ns"] = time.monotonic_ns()
            print(json.dumps(out), flush=True)
            return 0
        except socket.timeout:
            pass
    print(json.dumps(out), flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
