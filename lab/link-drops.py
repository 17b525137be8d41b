#!/usr/bin/python3
"""link-drops.py: where a run's uplink packets died, per move (BENCHMARKS.md,
"The uplink at the L2 down stamp").

usage: link-drops.py RUN_DIR...   (a kept run, bench/handover/RUN/CONFIG, or a
                                   results folder of lab/demo.sh --oracle)

For each move of each moving MN: how much the counters of its access link
rose across the move (links.jsonl: the MN's own end, "end": "mn", tx_dropped,
and its namespace's Ip6OutDiscards and Udp6SndbufErrors; the MR end's
rx_dropped), beside the MN's uplink packets lost in the move's window, by
send time (before the L2 down stamp, in the outage, after the link was back;
lost.csv.gz's times) and as report.py counts them. "-" where a counter was
not recorded (runs before the MN end's line). Then, per stream, how late the
sender's stamps were on its schedule (start + seq / rate), over the kept
arrivals: how far its pace, from which report.py places a lost packet,
can be off."""
import os
import sys

sys.dont_write_bytecode = True  # no lab/__pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import report  # noqa: E402


def rise(sel, get):
    b = [get(l) for l in sel if l["phase"] == "before"]
    a = [get(l) for l in sel if l["phase"] == "after"]
    try:
        return a[0] - b[0] if a and b else "-"
    except (TypeError, KeyError):
        return "-"


def main(dirs):
    print("run mn move l2_ms | mn_end_tx_dropped ip6_out_discards udp6_sndbuf_errors "
          "mr_end_rx_dropped | lost_before_down (ms before) lost_outage lost_after_up "
          "| counted excused")
    for d in dirs:
        rep = report.build(d, from_extract=True)[0]
        run = rep["run"]
        _, lost, _ = report.read_extract(d)
        links = report.load_lines(os.path.join(d, "links.jsonl"))
        for mover in [run["mn"]] + ([run["oracle_mn"]] if run.get("oracle_mn") else []):
            hos = [h for h in rep["handovers"] if h["mn"] == mover]
            ups = [s["name"] for s in run["streams"] if s.get("from") == mover]
            for i, h in enumerate(hos):
                sel = [l for l in links if l["move"] == i and l.get("mn", "mn1") == mover]
                mn = [l for l in sel if l.get("end") == "mn"]
                mr = [l for l in sel if l.get("end", "mr") == "mr" and "link" in l]
                dn, up = h["l2_down_ns"], h["l2_up_ns"]
                ls = [x[1] for n in ups for x in lost.get((mover, i, n), [])]
                before = sorted((tx - dn) / 1e6 for tx in ls if tx < dn)
                print("%s %s %d %.1f | %s %s %s %s | %d (%s) %d %d | %d %d" % (
                    "/".join(os.path.abspath(d).split("/")[-2:]), mover, i, h["l2_outage_ms"],
                    rise(mn, lambda l: l["link"][0]["stats64"]["tx"]["dropped"]),
                    rise(mn, lambda l: l["snmp6"]["Ip6OutDiscards"]),
                    rise(mn, lambda l: l["snmp6"]["Udp6SndbufErrors"]),
                    rise(mr, lambda l: l["link"][0]["stats64"]["rx"]["dropped"]),
                    len(before), " ".join("%.3f" % t for t in before) or "-",
                    sum(1 for tx in ls if dn <= tx <= up), sum(1 for tx in ls if tx > up),
                    sum(h["streams"][n]["lost"] for n in ups),
                    sum(h["streams"][n]["lost_dead_link"] for n in ups)))
        # How late dmmprobe's send stamps are on its schedule (start + seq /
        # rate), over the kept arrivals.
        ex, _, _ = report.read_extract(d)
        for st in run["streams"]:
            snd = (report.load_lines(os.path.join(d, st["name"] + ".send")) or [{}])[0]
            if "start_ns" not in snd:
                continue
            step = 10**9 / snd["rate_pps"]
            late = sorted(tx - (snd["start_ns"] + seq * step) for k, rows in ex.items()
                          if k[2] == st["name"] for seq, tx, _ in rows)
            if late:
                print("%s %s: send stamp - deadline ms: median %.3f p99 %.3f max %.3f (%d arrivals)"
                      % ("/".join(os.path.abspath(d).split("/")[-2:]), st["name"],
                         report.median(late) / 1e6, report.percentile(late, 99) / 1e6,
                         late[-1] / 1e6, len(late)))
    return 0


if __name__ == "__main__":
    if not sys.argv[1:]:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
