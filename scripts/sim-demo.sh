#!/bin/bash
# make sim-demo: the simulator's figures of docs/EVALUATION.md, from runs of
# a few seconds each (a few minutes in all, at nice 19). DMM query mode,
# redirect mode, and the centralized anchor (PMIPv6-style LMA) run the same
# scenarios (same seed: same moves and sessions). Writes results/sim/:
#   RUN.json/.nodes.csv/.latency.csv/.stretch.csv  each run's report
#   *.dat                                          the tables plotted
#   *.png                                          gnuplot figures
#   summary.md                                     the tables, as markdown
# Environment: SIM_OUT (default results/sim), SIM_MNS (default 3000),
# SIM_TIME (simulated seconds per run, default 900).
set -eu
cd "$(dirname "$0")/.."
sim=build/dmmsim
out=${SIM_OUT:-results/sim}
mns=${SIM_MNS:-3000}
simt=${SIM_TIME:-900}
[ -x $sim ] || { echo "sim-demo: build $sim first (make)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "sim-demo: gnuplot is missing (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$out"
# 9 networks on a 3x3 grid, 6 MRs each; 2 ms inside a network, 10 ms per grid step
base="-L 9 -M 6 -t $simt --warmup 60 --intra 2 --flows 6 --flow-len 60 --pkt 1000 -s 1"
modes="query redirect central"

run() { # name args...
	local name=$1
	shift
	[ -s "$out/$name.json" ] && return 0
	nice -n 19 $sim "$@" -o "$out/$name" >/dev/null
}

# 1. the same scenario in every mode (path stretch, signalling per node, anchor load)
for m in $modes none; do run "mode-$m" $base -n $mns -m $m; done
run mode-query-newhoa $base -n $mns -m query --new-hoa
# 2. handover latency against the inter-network delay
for d in 5 10 20 40; do
	for m in $modes; do run "delay-$m-$d" $base -n $mns -m $m --inter $d; done
done
# 3. load as the MN count grows
for n in 1000 2000 4000 8000; do
	for m in $modes; do run "mns-$m-$n" $base -n $n -m $m; done
done
# 4. the hottest node as the domain grows (networks, same MNs per MR)
for l in 4 9 16; do
	for m in $modes; do run "nets-$m-$l" -L $l -M 6 -t $simt --warmup 60 --intra 2 --flows 6 \
		--flow-len 60 --pkt 1000 -s 1 -n $((l * 6 * 50)) -m $m; done
done
# the LMs replicating their bindings to each other (MN-id hints), 16 networks
run nets-query-16-replicate -L 16 -M 6 -t $simt --warmup 60 --intra 2 --flows 6 --flow-len 60 \
	--pkt 1000 -s 1 -n 4800 -m query --lm-replicate
# 5. signalling as mobility grows (mean dwell time at an MR)
for w in 60 180 600; do
	for m in $modes; do run "dwell-$m-$w" $base -n $mns -m $m --dwell $w; done
done

python3 - "$out" "$mns" <<'PY'
import json, sys
out, mns = sys.argv[1], sys.argv[2]
def J(name):
    return json.load(open(f"{out}/{name}.json"))
modes = ["query", "redirect", "central"]
md = []
def table(title, head, rows):
    md.append(f"### {title}\n")
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "---|" * len(head))
    for r in rows:
        md.append("| " + " | ".join(str(x) for x in r) + " |")
    md.append("")

def hot(r):
    h = r["signalling"]["hottest"]
    if "LMA" in h:
        return h["LMA"]["messages"], 0, 0
    return h.get("LM", {}).get("messages", 0), h.get("MR", {}).get("messages", 0), h.get("HAA", {}).get("messages", 0)

# modes
rows = []
with open(f"{out}/modes.dat", "w") as f:
    f.write("# mode stretch extra_ms msgs_per_ho msgs_per_mnh hottest_lm_or_lma hottest_mr haa anchor_pkts max_mr_pkts ho_p50 ho_p90\n")
    for name, lab in [("query", "query"), ("redirect", "redirect"), ("none", "no-RO"),
                      ("query-newhoa", "query+newHoA"), ("central", "central")]:
        r = J("mode-" + name)
        s, d, l = r["signalling"], r["data"], r["latency_ms"]["handover"]
        lm, mr, haa = hot(r)
        secs = r["scenario"]["sim_s"]
        f.write(f"{lab} {d['stretch_mean']:.4f} {d['extra_delay_ms']['mean']:.3f} {s['per_handover']:.2f} "
                f"{s['per_mn_hour']:.1f} {lm/secs:.2f} {mr/secs:.2f} {haa/secs:.2f} "
                f"{r['load']['anchor_packets']/secs:.1f} {r['load']['max_mr_packets']/secs:.1f} {l['p50']} {l['p90']}\n")
        rows.append([lab, f"{d['stretch_mean']:.3f}", f"{d['extra_delay_ms']['mean']:.2f}",
                     f"{s['per_handover']:.1f}", f"{s['per_mn_hour']:.1f}", f"{lm/secs:.1f}", f"{mr/secs:.1f}",
                     f"{r['load']['anchor_packets']/secs:.0f}" if name == "central" else "-",
                     f"{r['load']['max_mr_packets']/secs:.0f}", f"{l['p50']} / {l['p90']}",
                     f"{d['delivered']/max(1,d['packets'])*100:.2f}"])
table(f"Same scenario, every mode ({mns} MNs, 9 networks x 6 MRs)",
      ["mode", "path stretch", "extra path delay ms", "msgs/handover", "msgs/MN-hour",
       "hottest LM (LMA) msgs/s", "hottest MR msgs/s", "anchor pkts/s", "busiest MR pkts/s",
       "handover ms p50/p90", "delivered %"], rows)

rows = []
with open(f"{out}/delay.dat", "w") as f:
    f.write("# inter_ms " + " ".join(f"{m}_p50 {m}_p90 {m}_stretch" for m in modes) + "\n")
    for dl in [5, 10, 20, 40]:
        vals, row = [], [dl]
        for m in modes:
            r = J(f"delay-{m}-{dl}")
            h = r["latency_ms"]["handover"]
            vals += [h["p50"], h["p90"], r["data"]["stretch_mean"]]
            row.append(f"{h['p50']} / {h['p90']}")
        f.write(f"{dl} " + " ".join(str(v) for v in vals) + "\n")
        rows.append(row)
table("Handover latency (ms, p50 / p90) against the inter-network delay per grid step",
      ["inter ms"] + modes, rows)

rows = []
with open(f"{out}/mns.dat", "w") as f:
    f.write("# mns central_anchor_pkts_s query_max_mr_pkts_s redirect_max_mr_pkts_s central_lma_msgs_s query_lm_msgs_s redirect_lm_msgs_s\n")
    for n in [1000, 2000, 4000, 8000]:
        rs = {m: J(f"mns-{m}-{n}") for m in modes}
        secs = rs["query"]["scenario"]["sim_s"]
        a = rs["central"]["load"]["anchor_packets"] / secs
        q = rs["query"]["load"]["max_mr_packets"] / secs
        rd = rs["redirect"]["load"]["max_mr_packets"] / secs
        ql, rl, cl = (hot(rs[m])[0] / secs for m in modes)  # modes: query, redirect, central
        f.write(f"{n} {a:.1f} {q:.1f} {rd:.1f} {cl:.2f} {ql:.2f} {rl:.2f}\n")
        rows.append([n, f"{a:.0f}", f"{q:.0f}", f"{rd:.0f}", f"{cl:.1f}", f"{ql:.1f}", f"{rl:.1f}"])
table("Load of the busiest node as MNs grow (per second)",
      ["MNs", "central anchor pkts", "query busiest MR pkts", "redirect busiest MR pkts",
       "LMA msgs", "query hottest LM msgs", "redirect hottest LM msgs"], rows)

rows = []
with open(f"{out}/nets.dat", "w") as f:
    f.write("# nets mns central_lma_msgs_s query_lm_msgs_s redirect_lm_msgs_s query_lm_share_pct\n")
    for l in [4, 9, 16]:
        rs = {m: J(f"nets-{m}-{l}") for m in modes}
        secs = rs["query"]["scenario"]["sim_s"]
        ql, rl, cl = (hot(rs[m])[0] / secs for m in modes)  # modes: query, redirect, central
        tot = rs["query"]["signalling"]["messages"] * 2 / secs  # every message is sent and received
        f.write(f"{l} {l*6*50} {cl:.2f} {ql:.2f} {rl:.2f} {100*ql/tot:.1f}\n")
        rows.append([l, l * 6 * 50, f"{cl:.1f}", f"{ql:.1f}", f"{rl:.1f}", f"{100*ql/tot:.1f}"])
table("Hottest signalling node as the domain grows (6 MRs and 300 MNs per network; msgs/s)",
      ["networks", "MNs", "central LMA", "query hottest LM", "redirect hottest LM",
       "query hottest LM, % of all messages sent+received"], rows)

rows = []
for name, lab in [("nets-query-16", "query"), ("nets-query-16-replicate", "query + lm-replicate")]:
    r = J(name)
    s, h = r["signalling"], r["latency_ms"]["handover"]
    secs = r["scenario"]["sim_s"]
    rows.append([lab, f"{s['per_handover']:.1f}", f"{hot(r)[0]/secs:.1f}", s["by_type"]["lm-fwd"],
                 f"{h['p50']} / {h['p90']} / {h['p99']}"])
table("LM replication, 16 networks (4800 MNs)",
      ["mode", "msgs/handover", "hottest LM msgs/s", "lm-fwd messages", "handover ms p50/p90/p99"], rows)

rows = []
with open(f"{out}/dwell.dat", "w") as f:
    f.write("# dwell_s ho_per_mnh " + " ".join(f"{m}_msgs_per_mnh" for m in modes) + "\n")
    for w in [60, 180, 600]:
        rs = {m: J(f"dwell-{m}-{w}") for m in modes}
        hr = rs["query"]["mobility"]["handovers_per_mn_h"]
        v = [rs[m]["signalling"]["per_mn_hour"] for m in modes]
        f.write(f"{w} {hr:.2f} " + " ".join(f"{x:.1f}" for x in v) + "\n")
        rows.append([w, f"{hr:.1f}"] + [f"{x:.0f}" for x in v])
table("Signalling per MN-hour as mobility grows", ["mean dwell s", "handovers/MN-hour"] + modes, rows)
open(f"{out}/summary.md", "w").write("\n".join(md) + "\n")
PY

gnuplot <<EOF
set terminal pngcairo size 800,480 noenhanced
set grid ytics
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8

set output "$out/stretch.png"
set title "Path stretch (data path delay / direct MR-to-MR delay), same scenario"
set ylabel "mean stretch"
set yrange [0:*]
plot "$out/modes.dat" using 2:xtic(1) title "stretch" lc rgb "#4477aa"

set key top left
set output "$out/signalling.png"
set title "Signalling load of the hottest node of each kind (messages/s)"
set ylabel "messages/s"
plot "$out/modes.dat" using 6:xtic(1) title "hottest LM (central: the LMA)" lc rgb "#cc6677", \
     "" using 7 title "hottest MR" lc rgb "#4477aa", "" using 8 title "hottest HAA" lc rgb "#ddcc77"

set style data linespoints
set output "$out/latency_delay.png"
set title "Handover latency (attach at the nMR -> data path set up) vs inter-network delay"
set xlabel "one-way delay per grid step between networks (ms)"
set ylabel "handover latency p50 (ms)"
set key left top
plot "$out/delay.dat" using 1:2 title "query p50" lw 2, "" using 1:5 title "redirect p50" lw 2, \
     "" using 1:8 title "central p50" lw 2, "" using 1:3 title "query p90" dt 2, \
     "" using 1:9 title "central p90" dt 2

set output "$out/anchor_load.png"
set title "Data packets through the busiest node: central anchor vs DMM"
set xlabel "mobile nodes"
set ylabel "packets/s"
plot "$out/mns.dat" using 1:2 title "central anchor (LMA)" lw 2, "" using 1:3 title "DMM query: busiest MR" lw 2, \
     "" using 1:4 title "DMM redirect: busiest MR" lw 2

set output "$out/nets.png"
set title "Hottest signalling node as the domain grows (300 MNs per network)"
set xlabel "local networks in the domain"
set ylabel "messages/s"
plot "$out/nets.dat" using 1:3 title "central LMA" lw 2, "" using 1:4 title "DMM query: hottest LM" lw 2, \
     "" using 1:5 title "DMM redirect: hottest LM" lw 2

set output "$out/mobility.png"
set title "Signalling per MN-hour as mobility grows"
set xlabel "handovers per MN-hour"
set ylabel "messages per MN-hour"
plot "$out/dwell.dat" using 2:3 title "query" lw 2, "" using 2:4 title "redirect" lw 2, "" using 2:5 title "central" lw 2
EOF
echo "sim-demo: $out/summary.md and $out/*.png"
