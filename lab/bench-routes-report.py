#!/usr/bin/env python3
"""The table and goals of docs/BENCHMARKS.md, "Route programming at scale"
(issue 11 §5), from the raw data of one lab/bench-routes.sh run.

  lab/bench-routes-report.py DIR          print the section body, write DIR/table.md
  lab/bench-routes-report.py --check DOC  recompute the section between
                                          <!-- bench-routes:begin DIR --> and
                                          <!-- bench-routes:end --> in DOC from DIR
                                          and fail on any difference

DIR/runs/DRIVER-METHOD-REP.json: one dpbench or ip-batch JSON object each
(see lab/bench-routes.sh); DIR/machine.txt.
"""
import glob
import json
import os
import re
import statistics
import sys

GOAL = 0.90  # of ip -batch's rate
METHODS = [
    ("dmm", "dmm, no batch (one request and ACK per route)"),
    ("dmm-batch32", "dmm, batches of 32 ops (dmmd: one signalling round)"),
    ("dmm-batch", "dmm, one batch (128 routes per sendmsg)"),
    ("dmm-batch-ack", "dmm, one batch, every message acked"),
    ("ip", "ip -batch, same kind"),
]


def load(d):
    runs = {}
    for path in sorted(glob.glob(os.path.join(d, "runs", "*.json"))):
        name = os.path.basename(path)[:-5]
        drv, rest = name.split("-", 1)
        method, rep = rest.rsplit("-", 1)
        try:
            with open(path) as f:
                obj = json.loads(f.read())
        except ValueError:
            obj = None
        runs.setdefault(drv, {}).setdefault(method, []).append((int(rep), obj))
    return runs


def ok(o, n):
    """A complete run: every route in the kernel after the adds, none after the deletes."""
    return (o is not None and o.get("kernel_after_add") == n and o.get("kernel_after_del") == 0
            and not o.get("add_errors") and not o.get("del_errors")
            and not o.get("add_rc") and not o.get("del_rc"))


def median(v):
    return statistics.median(v) if v else float("nan")


def fk(x):
    return "%.0fk" % (x / 1000) if x == x else "—"


def report(d):
    runs = load(d)
    machine = open(os.path.join(d, "machine.txt")).read()
    m = re.search(r"^routes: (\d+)", machine, re.M)
    n = int(m.group(1))
    out = []
    date = re.search(r"^date: (\S+)", machine, re.M).group(1)
    load0 = re.search(r"^loadavg at start: (.*)$", machine, re.M).group(1).split()[:3]
    load1 = re.search(r"^loadavg at end: (.*)$", machine, re.M)
    load1 = load1.group(1).split()[:3] if load1 else ["?"] * 3
    out.append("Run of %s, %s /128 tunnel routes per run; load average %s at the start, %s at the end "
               "(`bench/routes/…/machine.txt`). Median of the complete runs; routes/s." % (
                   date, "{:,}".format(n), " ".join(load0), " ".join(load1)))
    out.append("")
    out.append("| driver | method | runs | add | delete | add / ip | delete / ip |")
    out.append("|---|---|---|---|---|---|---|")
    goals = []
    for drv in sorted(runs):
        med = {}
        for key, label in METHODS:
            rs = [o for _, o in runs[drv].get(key, [])]
            good = [o for o in rs if ok(o, n)]
            med[key] = (median([o["add_per_s"] for o in good]), median([o["del_per_s"] for o in good]),
                        len(good), len(rs))
        ip_add, ip_del = med["ip"][0], med["ip"][1]
        for key, label in METHODS:
            a, dl, g, t = med[key]
            if t == 0:
                continue
            ra = "%.0f %%" % (100 * a / ip_add) if key != "ip" and a == a and ip_add == ip_add else "—"
            rd = "%.0f %%" % (100 * dl / ip_del) if key != "ip" and dl == dl and ip_del == ip_del else "—"
            out.append("| %s | %s | %d%s | %s | %s | %s | %s |" % (
                drv, label, g, "" if g == t else " of %d" % t, fk(a), fk(dl), ra, rd))
        rs = [o for _, o in runs[drv].get("restart", [])]
        good = [o for o in rs if o and o.get("stale_before") == n and o.get("kernel_after_open") == 0]
        rst = median([n / o["open_s"] for o in good])
        if rs:
            out.append("| %s | dmm, after a crash: the next dp_open removes the %s routes left | %d%s | — | %s | — | %s |" % (
                drv, "{:,}".format(n), len(good), "" if len(good) == len(rs) else " of %d" % len(rs), fk(rst),
                "%.0f %%" % (100 * rst / ip_del) if rst == rst and ip_del == ip_del else "—"))
        b_add, b_del = med["dmm-batch32"][0], med["dmm-batch32"][1]
        if b_add == b_add and ip_add == ip_add:
            r = min(b_add / ip_add, b_del / ip_del)
            goals.append("- %s, a burst of moves (batches of 32, as dmmd): add %.0f %%, delete %.0f %% of ip -batch — %s" % (
                drv, 100 * b_add / ip_add, 100 * b_del / ip_del, "**met**" if r >= GOAL else "**not met**"))
        if rs and rst == rst and ip_del == ip_del:
            goals.append("- %s, removing %s routes after a restart: %.0f %% of ip -batch's delete rate — %s" % (
                drv, "{:,}".format(n), 100 * rst / ip_del, "**met**" if rst / ip_del >= GOAL else "**not met**"))
    out.append("")
    out.append("Goal (issue 11 §5): ≥ 90 % of ip -batch's rate for the same routes, this run:")
    out.extend(goals)
    return "\n".join(out) + "\n"


def check(doc):
    text = open(doc).read()
    m = re.search(r"<!-- bench-routes:begin (\S+) -->\n(.*?)<!-- bench-routes:end -->", text, re.S)
    if not m:
        print("bench-routes-report: no bench-routes section in %s" % doc)
        return 1
    want = report(m.group(1))
    if m.group(2) != want:
        import difflib
        print("bench-routes-report: %s differs from what %s gives:" % (doc, m.group(1)))
        sys.stdout.writelines(difflib.unified_diff(m.group(2).splitlines(True), want.splitlines(True),
                                                   "docs", "data"))
        return 1
    print("bench-routes-report: %s matches %s" % (doc, m.group(1)))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return check(sys.argv[2])
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    text = report(sys.argv[1])
    with open(os.path.join(sys.argv[1], "table.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
