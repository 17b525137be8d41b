#!/usr/bin/python3
# The metrics page of dmmd (daemon/metrics.c) against dmmctl, for the tests
# (metrics_endpoint.sh, ops_first_hour.sh). Parsed with Debian's
# python3-prometheus-client (hence /usr/bin/python3, whatever python3 is
# first on PATH):
#   metrics_check.py counters BEFORE CTL_JSON AFTER
#       every counter of `dmmctl -j show counters` (CTL_JSON, taken between
#       the scrapes BEFORE and AFTER) is on the page, found by the dmmctl
#       name its HELP text gives (drop_REASON: dmm_messages_dropped_total
#       {reason="REASON"}), with BEFORE <= dmmctl <= AFTER (a gauge, a
#       level that goes up and down: present and not negative)
#   metrics_check.py peers BEFORE PEERS_JSON AFTER
#       every peer of `dmmctl -j show peers` has its signalling counters (rx,
#       rx_dropped, tx) and, where dmmctl shows them, its tunnel counters
#       (tun_*) on the page under its peer label, BEFORE <= dmmctl <= AFTER
#   metrics_check.py openmetrics FILE
#       FILE parses as OpenMetrics 1.0.0 (ends with # EOF, families typed)
#   metrics_check.py get FILE SAMPLE [LABEL=VALUE...]
#       print the value of one sample (exit 1 if absent)
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


GAUGES = set()  # dmmctl names whose metric is a gauge


def samples(path):
    """{(name, frozenset(labels)): value} and {dmmctl name: (sample, labels)}."""
    vals, by_ctl = {}, {}
    for fam in text_string_to_metric_families(open(path).read()):
        m = re.search(r"\(dmmctl counter ([a-z0-9_]+)\)", fam.documentation)
        for s in fam.samples:
            vals[(s.name, frozenset(s.labels.items()))] = s.value
            if m:
                by_ctl[m.group(1)] = (s.name, frozenset(s.labels.items()))
                if fam.type == "gauge":
                    GAUGES.add(m.group(1))
            elif s.name == "dmm_messages_dropped_total":
                by_ctl["drop_" + s.labels["reason"]] = (s.name, frozenset(s.labels.items()))
    return vals, by_ctl


def counters(before, ctl_json, after):
    b, by_ctl = samples(before)
    a, _ = samples(after)
    ctl = json.load(open(ctl_json))
    bad = 0
    for k, v in ctl.items():
        if k not in by_ctl:
            print("FAIL: dmmctl counter %s is not on the metrics page" % k)
            bad += 1
            continue
        key = by_ctl[k]
        if not isinstance(v, (int, float)):
            continue  # counters_reset_time: a timestamp or null
        if k in GAUGES:
            # a level (requests_in_flight, monitors, dp_held_bytes): it may
            # go up and down between the scrapes, nothing brackets it
            if v < 0:
                print("FAIL: %s: dmmctl %s, a negative level" % (k, v))
                bad += 1
            continue
        if not b[key] <= v <= a[key]:
            print("FAIL: %s: metrics %s then %s, dmmctl %s in between" % (k, b[key], a[key], v))
            bad += 1
    print("%d dmmctl counters on the metrics page, %d wrong" % (len(ctl), bad))
    return 1 if bad else 0


PEER_FIELDS = {
    "rx": "dmm_peer_messages_received_total",
    "rx_dropped": "dmm_peer_messages_dropped_total",
    "tx": "dmm_peer_messages_sent_total",
    "tun_rx_packets": "dmm_peer_tunnel_received_packets_total",
    "tun_rx_bytes": "dmm_peer_tunnel_received_bytes_total",
    "tun_tx_packets": "dmm_peer_tunnel_sent_packets_total",
    "tun_tx_bytes": "dmm_peer_tunnel_sent_bytes_total",
}


def peers(before, peers_json, after):
    b, _ = samples(before)
    a, _ = samples(after)

    def find(vals, name, peer):
        for (n, ls), v in vals.items():
            if n == name and dict(ls).get("peer") == peer:
                return v
        return None
    bad = n = 0
    for p in json.load(open(peers_json)):
        for field, name in PEER_FIELDS.items():
            if p.get(field) is None:
                continue  # a peer without tunnel counters
            n += 1
            vb, va = find(b, name, p["address"]), find(a, name, p["address"])
            if vb is None or va is None or not vb <= p[field] <= va:
                print("FAIL: peer %s %s: metrics %s then %s, dmmctl %s in between"
                      % (p["address"], field, vb, va, p[field]))
                bad += 1
    print("%d peer counters of dmmctl show peers on the metrics page, %d wrong" % (n, bad))
    return 1 if bad or not n else 0


def openmetrics(path):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
    n = sum(len(f.samples) for f in om(open(path).read()))
    print("OpenMetrics: %d samples" % n)
    return 0 if n else 1


def get(path, name, labels):
    vals, _ = samples(path)
    want = dict(l.split("=", 1) for l in labels)
    for (n, ls), v in vals.items():
        if n == name and all(dict(ls).get(k) == x for k, x in want.items()):
            print(int(v) if v == int(v) else v)
            return 0
    return 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "counters":
        sys.exit(counters(*sys.argv[2:5]))
    if cmd == "peers":
        sys.exit(peers(*sys.argv[2:5]))
    if cmd == "openmetrics":
        sys.exit(openmetrics(sys.argv[2]))
    if cmd == "get":
        sys.exit(get(sys.argv[2], sys.argv[3], sys.argv[4:]))
    sys.exit("usage: metrics_check.py counters|openmetrics|get ...")
