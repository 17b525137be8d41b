#!/usr/bin/python3
"""hostile_mh.py: crafted Mobility Headers from an encoder independent of
dmm's (this file and scapy, from docs/PROTOCOL.md alone), sent at running
dmmd nodes over raw IPv6 (next header 135) and UDP port 5436. Used by
tests/sh/fig1_hostile.sh.

usage: hostile_mh.py KEYFILE SRC TARGET=ROLE... [--iface IF] [--count N]
  KEYFILE   the domain key file ("ID HEX" lines); the first key seals the
            messages that must get past the authenticator
  SRC       this host's address (the source of everything sent)
  TARGET    a node's address and what it runs: mr or lm
Prints one JSON object: for each target, the drop counters (dmmctl names)
each message should raise, and the number sent per transport.

Each message is one of (what the receiver must count):
  truncated below the 6-byte header, or below its header length  drop_short
  header length beyond 512, payload proto not 59, bytes beyond the
  header length, an option running past the end, a wrong option
  length, a non-zero PadN                                       drop_malformed
  no authenticator at the end, a random MAC                     drop_auth
  an unknown key id                                             drop_key
  (sealed with the domain key, so the body is decoded:)
  an unknown MH type, an unknown experimental sub-type          drop_unknown
  an option flood (more than 16 options)                        drop_toomany
  a timestamp an hour old or ahead, or none                     drop_stale
  a request for a role the node does not run                   drop_role
  a reply that answers nothing                                  drop_unexpected
None of them may change any state.
"""
import hashlib
import hmac
import json
import os
import random
import struct
import sys
import time

from scapy.all import IPv6, UDP, Raw, conf  # Debian python3-scapy

conf.verb = 0


def pad_to(buf, mod, rem):
    """Pad1/PadN so that len(buf) % mod == rem."""
    n = (rem - len(buf)) % mod
    if n == 1:
        buf += b"\x00"
    elif n > 1:
        buf += bytes([1, n - 2]) + bytes(n - 2)
    return buf


def ts_opt(t):
    sec = int(t)
    frac = int((t - sec) * 65536) & 0xFFFF
    return bytes([0x1B, 8]) + struct.pack(">Q", sec << 16 | frac)


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def addr16(a):
    import socket
    return socket.inet_pton(socket.AF_INET6, a)


class Enc:
    """Builds MH bytes: header, fixed part, options, the authenticator."""

    def __init__(self, key_id, key, src, dst):
        self.key_id, self.key, self.src, self.dst = key_id, key, addr16(src), addr16(dst)

    def seal(self, mh_type, fixed, opts, key_id=None, mac=None, hlen=None, proto=59):
        """opts: list of (bytes, align) with align None or (mod, rem)."""
        b = bytearray([proto, 0, mh_type, 0, 0, 0]) + fixed
        for o, al in opts:
            if al:
                b = pad_to(b, *al)
            b += o
        b = pad_to(b, 8, 1)
        kid = self.key_id if key_id is None else key_id
        b += bytes([0x12, 37, 8]) + struct.pack(">I", kid)
        mac_off = len(b)
        b += bytes(32)
        b[1] = (len(b) // 8 - 1) if hlen is None else hlen
        if mac is None:
            mac = hmac.new(self.key, self.src + self.dst + bytes(b), hashlib.sha256).digest()
        b[mac_off:mac_off + 32] = mac
        return bytes(b)

    def raw_body(self, body):
        """Unsealed bytes: header + body, padded to 8, header length set."""
        b = bytearray([59, 0, 11, 0, 0, 0]) + body
        b = pad_to(b, 8, 0)
        b[1] = len(b) // 8 - 1
        return bytes(b)


def exp_fixed(sub, seq, status=0, flags=0, code=0, life=0):
    return bytes([sub, status]) + struct.pack(">HHBBI", seq, flags, code, 0, life)


def hi_fixed(seq, code=0):
    return struct.pack(">HBB", seq, 0, code)


def messages(enc, role, now):
    """(name, bytes, counter) for one target."""
    seq = random.randrange(1, 65536)
    fresh = (ts_opt(now), (8, 2))
    tgt = (bytes([0x12, 17, 5]) + addr16("2001:db8:1:1200::1"), None)
    mnid = (bytes([8, 7, 5]) + bytes([2, 0, 0, 0, 0, 0x77]), None)
    q = lambda ts, **k: enc.seal(11, exp_fixed(1, seq, **k), [ts, tgt])  # LOC_QUERY
    good = q(fresh)
    out = []
    # -- before the authenticator
    out.append(("truncated-3", good[:3], "drop_short"))
    out.append(("truncated-header-length", good[:40], "drop_short"))
    big = bytearray(good)
    big[1] = 200
    out.append(("header-length-1608", bytes(big), "drop_malformed"))
    out.append(("proto-6", enc.seal(11, exp_fixed(1, seq), [fresh, tgt], proto=6), "drop_malformed"))
    out.append(("trailing-bytes", good + bytes(8), "drop_malformed"))
    out.append(("no-authenticator", enc.raw_body(exp_fixed(1, seq) + ts_opt(now) + tgt[0]),
                "drop_auth"))
    out.append(("random-mac", enc.seal(11, exp_fixed(1, seq), [fresh, tgt], mac=os.urandom(32)),
                "drop_auth"))
    out.append(("unknown-key-77", enc.seal(11, exp_fixed(1, seq), [fresh, tgt], key_id=77),
                "drop_key"))
    # -- sealed: the body is decoded
    out.append(("mh-type-99", enc.seal(99, b"", []), "drop_unknown"))
    out.append(("exp-subtype-9", enc.seal(11, exp_fixed(9, seq), [fresh, tgt]), "drop_unknown"))
    out.append(("xo-subtype-42", enc.seal(11, exp_fixed(1, seq),
                                          [fresh, tgt, (bytes([0x12, 3, 42, 0, 0]), None)]),
                "drop_unknown"))
    # option types no RFC assigns (skipped one by one, but counted)
    flood = [(bytes([0xC0 + i % 8, 0]), None) for i in range(24)]
    out.append(("option-flood-24", enc.seal(11, exp_fixed(1, seq), [fresh, tgt] + flood),
                "drop_toomany"))
    out.append(("option-overrun", enc.seal(11, exp_fixed(1, seq), [fresh, tgt,
                                                                   (bytes([0x30, 250]), None)]),
                "drop_malformed"))
    out.append(("target-length-16", enc.seal(11, exp_fixed(1, seq),
                                             [fresh, (bytes([0x12, 16, 5]) + bytes(15), None)]),
                "drop_malformed"))
    out.append(("padn-nonzero", enc.seal(11, exp_fixed(1, seq),
                                         [fresh, (bytes([1, 3, 9, 9, 9]), None), tgt]),
                "drop_malformed"))
    if role == "lm":
        out.append(("stale-ts-1h", q((ts_opt(now - 3600), (8, 2))), "drop_stale"))
        out.append(("future-ts-1h", q((ts_opt(now + 3600), (8, 2))), "drop_stale"))
        out.append(("no-timestamp", enc.seal(11, exp_fixed(1, seq), [tgt]), "drop_stale"))
        # a context request is for MRs
        out.append(("ctx-req-to-lm", enc.seal(14, hi_fixed(seq), [fresh, mnid]), "drop_role"))
    else:
        ctx = lambda ts: enc.seal(14, hi_fixed(seq), [ts, mnid])  # CTX_REQ
        out.append(("stale-ts-1h", ctx((ts_opt(now - 3600), (8, 2))), "drop_stale"))
        out.append(("future-ts-1h", ctx((ts_opt(now + 3600), (8, 2))), "drop_stale"))
        out.append(("no-timestamp", enc.seal(14, hi_fixed(seq), [mnid]), "drop_stale"))
        out.append(("loc-query-to-mr", good, "drop_role"))
        # LOC_REPLY answering no request of the MR
        out.append(("loc-reply-unexpected",
                    enc.seal(11, exp_fixed(2, (seq + 7) % 65536 or 1), [fresh, tgt]),
                    "drop_unexpected"))
    return out


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    keyfile, src, targets = args[0], args[1], args[2:]
    key_id = key = None
    for line in open(keyfile):
        w = line.split()
        if len(w) == 2 and not w[0].startswith("#"):
            key_id, key = int(w[0]), bytes.fromhex(w[1])
            break
    if key is None:
        sys.exit("no key in " + keyfile)
    report = {}
    sock = conf.L3socket()  # one socket for all: send() opens one per packet
    for t in targets:
        dst, role = t.split("=")
        enc = Enc(key_id, key, src, dst)
        want = {}
        sent = {"raw": 0, "udp": 0}
        for via in ("raw", "udp"):
            n = len(messages(enc, role, time.time()))
            for i in range(n):
                # built just before it goes: a slow send must not age the
                # timestamps of the fresh ones
                name, b, counter = messages(enc, role, time.time())[i]
                if via == "raw":
                    if len(b) < 6:
                        continue  # the kernel needs the checksum field
                    pseudo = addr16(src) + addr16(dst) + struct.pack(">I", len(b)) + bytes([0, 0, 0, 135])
                    c = bytearray(b)
                    c[4:6] = struct.pack(">H", checksum(pseudo + bytes(b[:4]) + b"\x00\x00" + bytes(b[6:])))
                    pkt = IPv6(src=src, dst=dst, nh=135, hlim=64) / Raw(bytes(c))
                else:
                    pkt = IPv6(src=src, dst=dst) / UDP(sport=5436, dport=5436) / Raw(b)
                sock.send(pkt)
                want[counter] = want.get(counter, 0) + 1
                sent[via] += 1
        report[dst] = {"role": role, "want": want, "sent": sent}
    sock.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
