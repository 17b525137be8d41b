#!/usr/bin/python3
"""insider_mh.py: one LOC_UPDATE, built with scapy and the encoder of
hostile_mh.py (docs/PROTOCOL.md, not dmm's code), as an insider router
sends it: sealed with a key it holds, from any source address it likes.
Used by tests/sh/fig1_node_keys.sh.

usage: insider_mh.py KEYFILE KEYID SRC DST MNID PREFIX LOCATION
  KEYFILE   a key file ("ID HEX [node ADDRESS]" lines)
  KEYID     the id of the key that seals the message
  SRC       the IPv6 source (spoofed or not)
  DST       the LM
  MNID      the MN's EUI-48, aa:bb:cc:dd:ee:ff
  PREFIX    its home network prefix, ADDR/LEN
  LOCATION  the MR it names as the MN's location
Sent over raw IPv6 (next header 135) with a correct checksum."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_mh import Enc, addr16, checksum, ts_opt  # noqa: E402
from scapy.all import IPv6, Raw, conf  # noqa: E402  Debian python3-scapy

conf.verb = 0


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    keyfile, key_id, src, dst, mnid, prefix, location = sys.argv[1:]
    key = None
    for line in open(keyfile):
        w = line.split("#", 1)[0].split()
        if len(w) >= 2 and w[0] == key_id:
            key = bytes.fromhex(w[1])
    if key is None:
        sys.exit("no key %s in %s" % (key_id, keyfile))
    enc = Enc(int(key_id), key, src, dst)
    paddr, plen = prefix.split("/")
    seq = int.from_bytes(os.urandom(2), "big") or 1
    # PBU: seq, flags A|P, lifetime 600 s in 4 s units
    fixed = struct.pack(">HHH", seq, 0x8000 | 0x0200, 600 // 4)
    opts = [
        (bytes([0x12, 2, 1, 2]), None),                                   # XO_FUNC = LM
        (bytes([8, 7, 5]) + bytes.fromhex(mnid.replace(":", "")), None),  # MN-ID EUI-48
        (bytes([0x16, 18, 0, int(plen)]) + addr16(paddr), (8, 4)),        # HNP
        (bytes([0x17, 2, 0, 3]), None),                                   # handoff: moved
        (bytes([0x33, 18, 0, 128]) + addr16(location), (8, 4)),           # MAG = location
        (ts_opt(time.time()), (8, 2)),                                    # Timestamp
    ]
    b = enc.seal(5, fixed, opts)
    pseudo = addr16(src) + addr16(dst) + struct.pack(">I", len(b)) + bytes([0, 0, 0, 135])
    c = bytearray(b)
    c[4:6] = struct.pack(">H", checksum(pseudo + bytes(b[:4]) + b"\x00\x00" + bytes(b[6:])))
    sock = conf.L3socket()
    sock.send(IPv6(src=src, dst=dst, nh=135, hlim=64) / Raw(bytes(c)))
    sock.close()
    socket.inet_pton(socket.AF_INET6, location)  # checked: a bad one raised above


if __name__ == "__main__":
    main()
