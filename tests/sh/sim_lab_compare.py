#!/usr/bin/env python3
"""Compare dmmsim's message log with a capture of the netns lab (sim_lab.sh).

  sim_lab_compare.py SIM.log LAB.tsv STEPS TOPO TRACE

SIM.log  dmmsim --msglog: "node-ms type from to" per delivered message.
LAB.tsv  tshark fields: epoch, IPv6 source, destination, dmm.type (a name or
         its number).
STEPS    the lab's steps: "epoch up" once, then "epoch T what..." where T is
         the trace time the step plays.
TOPO     the lab's topology: "node NAME ROLES ... addr A" names addresses.
TRACE    the dmmsim trace: its distinct times delimit the simulator's phases.

Phase 0 is the start-up (both MNs attach, the gateway registers its fixed
prefix); phase k the messages after step k. Per phase, the two must have
the same messages (type, sender, receiver); after the start-up (where the
lab attaches both MNs at once, so their exchanges interleave freely),
between any two nodes, the lab's order must be the simulator's, where
messages the simulator delivers at the same millisecond may come in any
order. Exit 1 on any difference.
"""
import sys
from collections import Counter, defaultdict

NAMES = ["none", "hoa-req", "hoa-rep", "loc-update", "loc-ack", "loc-query",
         "loc-reply", "ctx-req", "ctx-ack", "redirect", "redirect-ack",
         "lm-notify", "lm-notify-ack", "lm-fwd", "lm-fwd-reply"]
# lab node name -> the simulator's (tests/lib/fig1.c)
RENAME = {"lm1haa1": "LMHAA1", "lm2haa2": "LMHAA2"}


def fail(msg):
    print("FAIL:", msg)
    return 1


def main(simlog, labtsv, stepsf, topo, trace):
    names = {}
    for line in open(topo):
        w = line.split()
        if len(w) > 3 and w[0] == "node" and "addr" in w:
            a = w[w.index("addr") + 1].split("/")[0]
            names[a] = RENAME.get(w[1], w[1].upper())

    # the trace's phase starts, in node ms (node time = 1000 + 1000 * t)
    times = sorted({float(l.split()[0]) for l in open(trace)
                    if l.strip() and not l.startswith("#")})
    steps = [l.split() for l in open(stepsf) if l.strip()]
    if not steps or steps[0][1] != "up":
        return fail("no 'up' step")
    lab_starts = [float(s[0]) for s in steps[1:]]
    step_t = [float(s[1]) for s in steps[1:]]
    # every lab step plays a trace time; the simulator's phase of a move
    # spans its leave and arrival (e.g. 4.0 and 4.02)
    sim_starts = []
    for t in step_t:
        if t not in times:
            return fail("step at %.2f is no trace time" % t)
        sim_starts.append(1000 + 1000 * t)

    def phase(starts, t):
        k = 0
        for i, s in enumerate(starts):
            if t >= s:
                k = i + 1
        return k

    sim = defaultdict(list)  # phase -> [(ms, type, from, to)]
    for line in open(simlog):
        w = line.split()
        if len(w) != 4:
            continue
        ms = int(w[0])
        sim[phase(sim_starts, ms)].append((ms, w[1], w[2], w[3]))
    lab = defaultdict(list)  # phase -> [(type, from, to)] in capture order
    bad = 0
    for line in open(labtsv):
        w = line.rstrip("\n").split("\t")
        if len(w) < 4 or not w[3]:
            continue
        t, src, dst, ty = float(w[0]), w[1], w[2], w[3]
        if ty.isdigit():
            ty = NAMES[int(ty)] if int(ty) < len(NAMES) else ty
        if src not in names or dst not in names:
            bad |= fail("lab message %s %s -> %s: unknown address" % (ty, src, dst))
            continue
        lab[phase(lab_starts, t)].append((ty, names[src], names[dst]))

    total = 0
    for k in range(len(sim_starts) + 1):
        what = "start-up" if k == 0 else "step %s" % " ".join(steps[k][1:])
        s = [m[1:] for m in sim[k]]
        l = lab[k]
        total += len(l)
        cs, cl = Counter(s), Counter(l)
        if cs != cl:
            bad |= fail("%s: the messages differ (%d in dmmsim, %d in the lab)"
                        % (what, len(s), len(l)))
            for m in sorted((cs - cl).elements()):
                print("   only in dmmsim:", " ".join(m))
            for m in sorted((cl - cs).elements()):
                print("   only in the lab:", " ".join(m))
            continue
        if k == 0:  # the lab attaches both MNs at once
            print("%-22s %3d messages, the same in dmmsim and the lab" % (what + ":", len(l)))
            continue
        # order between each pair of nodes: the lab's sequence must take
        # the simulator's same-millisecond groups one after the other
        pairs = defaultdict(list)
        for ms, ty, a, b in sim[k]:
            pairs[frozenset((a, b))].append((ms, (ty, a, b)))
        lpairs = defaultdict(list)
        for m in l:
            lpairs[frozenset(m[1:])].append(m)
        for p, seq in pairs.items():
            groups = []
            for ms, m in seq:
                if groups and groups[-1][0] == ms:
                    groups[-1][1][m] += 1
                else:
                    groups.append((ms, Counter([m])))
            gi = 0
            for m in lpairs[p]:
                while gi < len(groups) and not +groups[gi][1]:
                    gi += 1
                if gi < len(groups) and groups[gi][1][m] > 0:
                    groups[gi][1][m] -= 1
                    continue
                bad |= fail("%s: between %s, the lab sent %s before what dmmsim "
                            "delivers first: %s" % (what, " and ".join(sorted(p)),
                                                    " ".join(m),
                                                    ", ".join(" ".join(x) for x in
                                                              (+groups[gi][1]).elements())
                                                    if gi < len(groups) else "nothing"))
                break
        print("%-22s %3d messages, the same in dmmsim and the lab" % (what + ":", len(l))
              if not bad else "%-22s %3d messages" % (what + ":", len(l)))
    if total < 40:
        bad |= fail("only %d messages captured" % total)
    return bad


if __name__ == "__main__":
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
