#!/usr/bin/env python3
"""`ip -6 -batch` over an add file then a delete file, in chunks of CHUNK
lines (one ip process each), CLOCK_MONOTONIC around the processes; the
routes of BASE in table 4242 counted after each phase. Run it in the
benchmark's namespace. One JSON line on stdout. Used by lab/bench-routes.sh
and lab/bench-dataplane.sh.

  ipbatch.py [--method M] ADD_FILE DEL_FILE BASE N CHUNK
"""
import json, os, subprocess, sys, time

args = sys.argv[1:]
method = None
if args[:1] == ["--method"]:
    method, args = args[1], args[2:]
if len(args) != 5:
    sys.exit(__doc__)
addf, delf, base, n, chunk = args[0], args[1], args[2], int(args[3]), int(args[4])


def split(path):
    lines = open(path).readlines()
    out = []
    for i in range(0, len(lines), chunk):
        c = "%s.%d" % (path, i // chunk)
        with open(c, "w") as f:
            f.writelines(lines[i:i + chunk])
        out.append(c)
    return out


def count():
    out = subprocess.run(["ip", "-6", "route", "show", "table", "4242"],
                         capture_output=True, text=True).stdout
    return sum(1 for l in out.splitlines() if l.startswith(base))


def timed(chunks):
    rc, err = 0, ""
    t = time.monotonic_ns()
    for c in chunks:
        p = subprocess.run(["ip", "-6", "-batch", c], capture_output=True, text=True)
        rc, err = rc or p.returncode, err or p.stderr.strip()[-300:]
    dt = (time.monotonic_ns() - t) / 1e9
    for c in chunks:
        os.unlink(c)
    return dt, rc, err


adds, dels = split(addf), split(delf)
add_s, add_rc, add_err = timed(adds)
k_add = count()
del_s, del_rc, del_err = timed(dels)
k_del = count()
res = {"tool": "ip-batch"}
if method is not None:
    res["method"] = method
res.update({"routes": n, "ip_processes": len(adds),
            "add_s": add_s, "add_per_s": n / add_s, "add_rc": add_rc, "add_stderr": add_err,
            "kernel_after_add": k_add, "del_s": del_s, "del_per_s": n / del_s,
            "del_rc": del_rc, "del_stderr": del_err, "kernel_after_del": k_del})
print(json.dumps(res))
