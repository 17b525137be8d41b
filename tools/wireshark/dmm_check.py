#!/usr/bin/env python3
"""Hold tools/wireshark/dmm.lua against dmm's own codec (tests/sh/tshark_lua.sh).

  dmm_check.py variants [--prefix P] SAMPLES.pcap OUTDIR
      From mkpcap's capture (raw IPv6 + UDP 5436, one sealed sample per
      message type; or IPv6 + MH, as dmmdump -w writes) write OUTDIR/raw.pcap (the same messages over raw IPv6,
      next header 135, MH checksum filled in as the kernel would),
      OUTDIR/snap.pcap (every sample cut after 0..len-1 bytes of its Mobility
      Header by the capture's snap length, as editcap -s would),
      OUTDIR/short.pcap (every sample as a consistent but shorter datagram,
      0..len-1 bytes of MH, over raw IPv6) and OUTDIR/mutate.pcap (every MH
      byte of every sample set to 0x00, 0xff and its value + 1, over UDP)
      and OUTDIR/options.pcap (200 per sample, seeded: options dropped,
      duplicated, moved, padded, unknown or misplaced ones added, the header
      length fixed up, over UDP).

  dmm_check.py compare --pdml F --dump F [--samples F] [--expect MODE] [--label L]
      F of --pdml: tshark -X lua_script:dmm.lua -T pdml; of --dump: dmmdump
      on the same capture; of --samples: dmmdump -s (the encoder's input).
      MODE valid: every MH frame is one dmm accepts, and the dissector shows
      it with no expert info, names every byte of it with a (non-generated)
      dmm.* field, has the fixed fields of its MH type, names the dmm message
      as dmm does and gives every field the value dmm's decoder gives (and
      the samples, when given).
      MODE rejected: every MH frame is one dmm refuses, and the dissector
      reports it with a dmm.expert.* error of the decoder's class.
      --require NAME,...: these dmm message kinds (dmm_msg_type_name) must be
      among the frames dissected, clean.
      MODE any: each frame by what dmm's decoder says of it (one of an MH
      type dmm does not use may go to Wireshark's MIPv6 dissector).
      Always: no Lua error, no [Malformed Packet] (a Lua or Wireshark
      exception), every MH frame dissected by dmm.
Prints FAIL lines and a summary; exit 1 on any failure.
"""
import argparse
import ipaddress
import json
import random
import struct
import sys
import xml.etree.ElementTree as ET

LUA_ERR = "_ws.lua.error"
ERR_KIND = {
    "DMM_E_SHORT": "dmm.expert.short",
    "DMM_E_MALFORMED": "dmm.expert.malformed",
    "DMM_E_ALIGN": "dmm.expert.align",
    "DMM_E_UNKNOWN": "dmm.expert.unknown",
    "DMM_E_TOOMANY": "dmm.expert.toomany",
}
# Fixed-part fields each MH type must show (docs/PROTOCOL.md, "Fixed parts").
HEADER = ["dmm.type", "dmm.proto", "dmm.hlen", "dmm.mhtype", "dmm.reserved",
          "dmm.checksum", "dmm.seq", "dmm.flags", "dmm.lifetime"]
FIXED = {
    5: ["dmm.bu.flags", "dmm.bu.flags.a", "dmm.bu.flags.p", "dmm.lifetime.units"],
    6: ["dmm.status", "dmm.ba.flags", "dmm.ba.flags.p", "dmm.lifetime.units"],
    11: ["dmm.exp.subtype", "dmm.status", "dmm.code", "dmm.exp.reserved"],
    14: ["dmm.hi.flags", "dmm.hi.flags.s", "dmm.hi.flags.u", "dmm.code"],
    15: ["dmm.hack.reserved", "dmm.status"],
    17: ["dmm.lri.reserved", "dmm.lifetime.s16"],
    18: ["dmm.lra.flags", "dmm.lra.flags.u", "dmm.status", "dmm.lifetime.s16"],
    19: ["dmm.upn.flags", "dmm.upn.flags.a", "dmm.upn.flags.d", "dmm.code"],
    20: ["dmm.upa.reserved", "dmm.status"],
}
# Option fields, by the key of dmmdump's output that announces the option.
OPTION_FIELDS = {
    "mnid": ["dmm.opt.mnid.subtype", "dmm.opt.mnid"],
    "hnp": ["dmm.opt.hnp.reserved", "dmm.opt.hnp.plen", "dmm.opt.hnp"],
    "phl": ["dmm.opt.exp.subtype", "dmm.opt.phl.plen", "dmm.opt.phl"],
    "ver": ["dmm.opt.exp.subtype", "dmm.opt.ver"],
    "handoff": ["dmm.opt.handoff.reserved", "dmm.opt.handoff"],
    "location": ["dmm.opt.mag.reserved", "dmm.opt.mag.plen", "dmm.opt.location"],
    "prev": ["dmm.opt.exp.subtype", "dmm.opt.prev"],
    "home": ["dmm.opt.exp.subtype", "dmm.opt.home"],
    "target": ["dmm.opt.exp.subtype", "dmm.opt.target"],
    "origin": ["dmm.opt.exp.subtype", "dmm.opt.origin.seq", "dmm.opt.origin"],
    "timestamp": ["dmm.opt.timestamp", "dmm.opt.timestamp.time"],
    "key_id": ["dmm.opt.exp.subtype", "dmm.opt.auth.keyid", "dmm.opt.auth.mac"],
}

# ---- pcap writing ----


def read_pcap(path):
    with open(path, "rb") as fh:
        data = fh.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(end + "I", data[20:24])[0]
    off, pkts = 24, []
    while off + 16 <= len(data):
        ts, us, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        pkts.append((ts, us, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return link, pkts


def write_pcap(path, link, pkts):
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link))
        for ts, us, b, orig in pkts:
            fh.write(struct.pack("<IIII", ts, us, len(b), orig) + b)


def cksum(src, dst, nh, data):
    s = sum(struct.unpack("!8H", src)) + sum(struct.unpack("!8H", dst))
    s += (len(data) >> 16) + (len(data) & 0xFFFF) + nh
    d = data + (b"\0" if len(data) % 2 else b"")
    s += sum(struct.unpack("!%dH" % (len(d) // 2), d))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip6(src, dst, nh, payload):
    return (struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + src + dst + payload)


def raw_mh(src, dst, mh):
    mh = bytearray(mh)
    if len(mh) >= 6:
        mh[4:6] = b"\0\0"
        mh[4:6] = struct.pack("!H", cksum(src, dst, 135, bytes(mh)))
    return ip6(src, dst, 135, bytes(mh))


def udp_mh(src, dst, mh, port=5436):
    u = struct.pack("!HHHH", port, port, 8 + len(mh), 0) + mh
    c = cksum(src, dst, 17, u) or 0xFFFF
    return ip6(src, dst, 17, u[:6] + struct.pack("!H", c) + u[8:])


OPTS_AT = {5: 12, 6: 12, 11: 18, 14: 10, 15: 10, 17: 12, 18: 12, 19: 10, 20: 10}


def split_opts(mh):
    """The fixed part and the list of options (bytes each) of a message."""
    at = OPTS_AT.get(mh[2], len(mh))
    head, opts, off = mh[:at], [], at
    while off < len(mh):
        n = 1 if mh[off] == 0 else 2 + (mh[off + 1] if off + 1 < len(mh) else 0)
        opts.append(mh[off:off + n])
        off += n
    return head, opts


def pad_to8(b):
    n = (8 - len(b) % 8) % 8
    return b + (b"\0" if n == 1 else bytes([1, n - 2]) + bytes(n - 2) if n else b"")


def option_mutants(mh, rnd, count):
    """Messages rebuilt from mh's options, shuffled about: an option
    dropped, duplicated, moved, padded in front, an unknown or a foreign one
    added; the header length fixed up so that only the options decide."""
    head, opts = split_opts(mh)
    extra = [b"\0", bytes([1, 0]), bytes([1, 1, 0]), bytes([99, 2, 7, 7]),
             bytes([18, 2, 1, 2]), bytes([18, 3, 2, 0, 4]), bytes([18, 5, 7, 0, 0, 0, 9]),
             bytes([23, 2, 0, 1]), bytes([18, 2, 9, 0]), bytes([8, 2, 1, 0x41])]
    out = []
    for k in (16, 18):  # too many options: unknown ones, alignment kept
        b = bytearray(pad_to8(bytes(head) + bytes([99, 2, 7, 7]) * k + b"".join(opts)))
        b[1] = min(255, len(b) // 8 - 1)
        out.append(bytes(b))
    for _ in range(count - 2):
        o = list(opts)
        for _ in range(rnd.randint(1, 3)):
            op = rnd.randrange(5)
            if op == 0 and o:
                del o[rnd.randrange(len(o))]
            elif op == 1 and o:
                i = rnd.randrange(len(o))
                o.insert(rnd.randrange(len(o) + 1), o[i])
            elif op == 2 and len(o) > 1:
                i, j = rnd.randrange(len(o)), rnd.randrange(len(o))
                o[i], o[j] = o[j], o[i]
            elif op == 3:
                o.insert(rnd.randrange(len(o) + 1), rnd.choice(extra[:3]))
            else:
                o.insert(rnd.randrange(len(o) + 1), rnd.choice(extra))
        b = bytearray(pad_to8(bytes(head) + b"".join(o)))
        if len(b) >= 2:
            b[1] = min(255, len(b) // 8 - 1)
        out.append(bytes(b))
    return out


def variants(src_pcap, outdir, prefix=""):
    link, pkts = read_pcap(src_pcap)
    msgs = []
    for ts, us, b, _ in pkts:  # IPv6 + UDP + MH, or IPv6 + MH
        src, dst, mh = b[8:24], b[24:40], b[48:] if b[6] == 17 else b[40:]
        msgs.append((ts, us, src, dst, mh))
    raw, snap, short, mut, opt = [], [], [], [], []
    rnd = random.Random(5436)
    for ts, us, src, dst, mh in msgs:
        p = raw_mh(src, dst, mh)
        raw.append((ts, us, p, len(p)))
        full = udp_mh(src, dst, mh)
        for n in range(0, len(mh)):
            snap.append((ts, us, full[:48 + n], len(full)))
            p = raw_mh(src, dst, mh[:n])
            short.append((ts, us, p, len(p)))
        for i in range(len(mh)):
            for v in sorted({0x00, 0xFF, (mh[i] + 1) & 0xFF} - {mh[i]}):
                p = udp_mh(src, dst, mh[:i] + bytes([v]) + mh[i + 1:])
                mut.append((ts, us, p, len(p)))
        for m in option_mutants(mh, rnd, 200):
            p = udp_mh(src, dst, m)
            opt.append((ts, us, p, len(p)))
    for name, lst in (("raw", raw), ("snap", snap), ("short", short), ("mutate", mut),
                      ("options", opt)):
        write_pcap("%s/%s%s.pcap" % (outdir, prefix, name), link, lst)
        print("%s%s.pcap: %d packets" % (prefix, name, len(lst)))


# ---- comparison ----


def walk(el):
    for f in el.iter("field"):
        yield f


def addr(s):
    return str(ipaddress.IPv6Address(s))


def lua_fields(proto):
    """What the dissector says, in dmmdump's terms."""
    got, hnp, plen, phl, ver = {}, [], None, [], []
    for f in walk(proto):
        n, show, val = f.get("name"), f.get("show", ""), f.get("value", "")
        if n == "dmm.type":
            got["type"] = int(show)
            got["_showname"] = f.get("showname", "")
        elif n == "dmm.seq":
            got["seq"] = int(show)
        elif n == "dmm.flags":
            got["flags"] = int(show, 0)
        elif n == "dmm.status":
            got["status"] = int(show)
        elif n == "dmm.code":
            got["code"] = int(show)
        elif n == "dmm.lifetime":
            got["lifetime"] = int(show)
        elif n == "dmm.opt.mnid.subtype":
            got["_mnid_sub"] = show
        elif n == "dmm.opt.mnid":
            got["mnid"] = "%s:%s" % (got.pop("_mnid_sub", "?"), val)
        elif n == "dmm.opt.hnp.plen":
            plen = show
        elif n == "dmm.opt.hnp":
            hnp.append("%s/%s" % (addr(show), plen))
        elif n == "dmm.opt.phl.plen":
            plen = show
        elif n == "dmm.opt.phl":
            phl.append("%s/%s" % (addr(show), plen))
        elif n == "dmm.opt.ver":
            ver.append(int(show))
        elif n == "dmm.opt.handoff":
            got["handoff"] = int(show)
        elif n in ("dmm.opt.location", "dmm.opt.prev", "dmm.opt.home",
                   "dmm.opt.target", "dmm.opt.origin"):
            got[n.split(".")[-1]] = addr(show)
        elif n == "dmm.opt.origin.seq":
            got["origin_seq"] = int(show)
        elif n == "dmm.opt.timestamp":
            got["timestamp"] = int(show)
        elif n == "dmm.opt.auth.keyid":
            got["key_id"] = int(show, 0)
        elif n == "dmm.opt.auth.mac":
            got["mac"] = val
    if hnp:
        got["hnp"] = hnp
    if phl:
        got["phl"] = phl
    if ver:
        got["ver"] = ver
    return got


def norm(d):
    out = {}
    for k, v in d.items():
        if k in ("frame", "dmm", "len", "err", "name") or k.startswith("_"):
            continue
        if k in ("location", "prev", "home", "target", "origin"):
            v = addr(v)
        elif k in ("hnp", "phl"):
            v = ["%s/%s" % (addr(x.split("/")[0]), x.split("/")[1]) for x in v]
        out[k] = v
    for k in ("status", "code", "flags", "lifetime"):
        out.setdefault(k, 0)
    return out


def diff(a, b, skip=()):
    keys = sorted((set(a) | set(b)) - set(skip))
    return ["%s: dmm %r, dissector %r" % (k, a.get(k), b.get(k))
            for k in keys if a.get(k) != b.get(k)]


def coverage(proto):
    """Bytes of the message no non-generated dmm.* field names."""
    start, size = int(proto.get("pos")), int(proto.get("size"))
    seen = bytearray(size)
    for f in walk(proto):
        n = f.get("name", "")
        if not n.startswith("dmm.") or n == "dmm.opt" or n.startswith("dmm.expert"):
            continue
        if f.get("showname", "").startswith("["):  # generated
            continue
        p, s = int(f.get("pos", 0)), int(f.get("size", 0))
        for i in range(max(p, start), min(p + s, start + size)):
            seen[i - start] = 1
    return [i for i in range(size) if not seen[i]]


def experts(el):
    """(name of the expert's own field, severity) of every expert under el."""
    out = []
    for f in walk(el):
        if f.get("name") != "_ws.expert":
            continue
        sev, kind = 0, None
        for c in f:
            if c.get("name") == "_ws.expert.severity":
                sev = int(c.get("show", "0"))
            elif c.get("name") not in ("_ws.expert.message", "_ws.expert.group"):
                kind = c.get("name")
        out.append((kind, sev, f.get("showname", "")))
    return out


def compare(args):
    dump = [json.loads(l) for l in open(args.dump) if l.strip()]
    samples = {}
    if args.samples:
        for l in open(args.samples):
            if l.strip():
                s = json.loads(l)
                samples[s["frame"]] = s
    root = ET.parse(args.pdml).getroot()
    packets = root.findall("packet")
    fails, stats = [], {"valid": 0, "rejected": 0, "other": 0, "mipv6": 0}
    label = args.label or args.pdml
    names_seen = set()
    if len(packets) != len(dump):
        fails.append("%d frames dissected, dmmdump read %d" % (len(packets), len(dump)))

    def bad(no, msg):
        fails.append("frame %d: %s" % (no, msg))

    for no, (pkt, d) in enumerate(zip(packets, dump), 1):
        for f in walk(pkt):
            if f.get("name") == LUA_ERR:
                bad(no, "Lua error: " + f.get("showname", ""))
        protos = {p.get("name"): p for p in pkt.findall("proto")}
        if "mipv6" in protos and d.get("err") == "DMM_E_UNKNOWN" and args.expect != "valid":
            # An MH type dmm does not use: Wireshark's own MIPv6 dissector's
            # (whose verdict, [Malformed Packet] included, is its own).
            stats["mipv6"] += 1
            continue
        if "_ws.malformed" in protos:
            bad(no, "[Malformed Packet] (an exception in a dissector)")
        if not d.get("dmm"):
            stats["other"] += 1
            continue
        proto = protos.get("dmm")
        if proto is None and d.get("len") == 0 and "_ws.short" in protos \
                and args.expect != "valid":
            # Not one byte of the MH captured: UDP calls no dissector, and
            # Wireshark says [Packet size limited during capture] itself.
            stats["rejected"] += 1
            continue
        if proto is None:
            bad(no, "a Mobility Header frame not dissected by dmm.lua (%s)" %
                ",".join(protos))
            continue
        ex = experts(proto)
        if d["err"] == "":
            stats["valid"] += 1
            if args.expect == "rejected":
                bad(no, "dmm accepts this message, which should be refused")
                continue
            for kind, sev, text in experts(pkt):
                if sev >= 0x00600000:
                    bad(no, "expert info on a valid message: " + text)
            got = lua_fields(proto)
            names_seen.add(d["name"])
            for line in diff(norm(d), norm(got)):
                bad(no, "%s differs from dmm's decoder (%s)" % (d["name"], line))
            if no in samples:
                for line in diff(norm(samples[no]), norm(got), skip=("mac",)):
                    bad(no, "%s differs from the sample encoded (%s)" % (d["name"], line))
            if "(%d)" % d["type"] not in got.get("_showname", "") or \
                    (": %s " % d["name"]) not in got.get("_showname", ""):
                bad(no, "dmm.type does not name %s: %r" % (d["name"], got.get("_showname")))
            present = {f.get("name") for f in walk(proto)}
            mh = next((int(f.get("show")) for f in walk(proto)
                       if f.get("name") == "dmm.mhtype"), None)
            need = HEADER + FIXED.get(mh, ["(MH type %s)" % mh])
            for k, fl in OPTION_FIELDS.items():
                if k in d:
                    need = need + fl
            missing = [n for n in need if n not in present]
            if missing:
                bad(no, "%s lacks fields %s" % (d["name"], " ".join(missing)))
            for f in walk(proto):
                n = f.get("name", "")
                if not (n.startswith("dmm.") or n.startswith("_ws.expert")):
                    bad(no, "unnamed item in the dmm tree: %r" % (f.get("show") or n))
            holes = coverage(proto)
            if holes:
                bad(no, "%s: bytes %s of the message named by no dmm field" %
                    (d["name"], holes[:16]))
        else:
            stats["rejected"] += 1
            if args.expect == "valid":
                bad(no, "dmm's decoder refuses this frame: %s" % d["err"])
                continue
            kinds = {k for k, sev, _ in ex if k and k.startswith("dmm.expert.") and sev >= 0x00800000}
            if not kinds:
                bad(no, "dmm refuses it (%s), the dissector reports no error" % d["err"])
            elif ERR_KIND.get(d["err"]) not in kinds:
                bad(no, "dmm refuses it as %s, the dissector says %s" %
                    (d["err"], " ".join(sorted(kinds))))
    for f in fails[:60]:
        print("FAIL: %s: %s" % (label, f))
    if len(fails) > 60:
        print("FAIL: %s: ... %d more" % (label, len(fails) - 60))
    print("%s: %d frames: %d dmm accepts, %d it refuses (%d of an MH type dmm does not use,"
          " left to Wireshark's MIPv6), %d not MH; %d failures" %
          (label, len(packets), stats["valid"], stats["rejected"] + stats["mipv6"],
           stats["mipv6"], stats["other"], len(fails)))
    if names_seen and args.names:
        print("%s: message kinds: %s" % (label, " ".join(sorted(names_seen))))
    for name in (args.require or "").split(","):
        if name and name not in names_seen:
            print("FAIL: %s: no %s message dissected" % (label, name))
            fails.append(name)
    return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    v = sp.add_parser("variants")
    v.add_argument("pcap")
    v.add_argument("outdir")
    v.add_argument("--prefix", default="", help="of the files written")
    c = sp.add_parser("compare")
    c.add_argument("--pdml", required=True)
    c.add_argument("--dump", required=True)
    c.add_argument("--samples")
    c.add_argument("--expect", choices=("valid", "rejected", "any"), default="any")
    c.add_argument("--label")
    c.add_argument("--names", action="store_true", help="list the message kinds seen")
    c.add_argument("--require", help="NAME,NAME...: message kinds that must be there")
    a = ap.parse_args()
    if a.cmd == "variants":
        variants(a.pcap, a.outdir, a.prefix)
        return 0
    return compare(a)


if __name__ == "__main__":
    sys.exit(main())
