#!/bin/bash
# dmm-test: netns
# dmmctl on a running figure-1 lab (issue 12): one JSON schema, and monitor.
#   - every dmmctl command (the list dmmctl -j help gives) runs with -j
#     against the lab, with its filters, after MN1 moved MR12 -> MR11 (a
#     handover) and was detached and attached again by dmmctl; each output,
#     and each error, validates against docs/dmmctl.schema.json
#     (python3-jsonschema); a command the test did not run, or one without
#     a schema, fails it;
#   - dmmctl monitor (-j on MR11 and MR12, text on MR12, by node name with
#     -n) sees MN1 attach at MR11 and the handover steps at both MRs;
#   - a monitor stopped with SIGSTOP stalls nothing: with it stopped, MN1
#     moves MR11 -> MR12 in the same time as it moved there, dmmctl answers
#     at once and a live monitor still gets every event.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require
SCHEMA=docs/dmmctl.schema.json
python3 -c 'import jsonschema' 2>/dev/null ||
	{ echo "FAIL: python3-jsonschema is not installed (make deps)"; exit 1; }

mon_pids=()
stop_monitors() {
	local p
	for p in "${mon_pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	for p in "${mon_pids[@]}"; do wait "$p" 2>/dev/null; done
}
LAB_CLEANUP_HOOK=stop_monitors

lab_up
OUT=$DMMLAB_RUN/ctl
mkdir -p "$OUT"
export DMMCTL_RUNDIR=$LABDIR # -n NODE: $LABDIR/NODE.sock, where dmmlab puts them
monitors() { counter "$1" monitors; }
monitor() { # monitor NODE FILE [-j]
	"$DMMCTL" ${3:-} -n "$1" monitor >"$2" 2>"$2.err" &
	mon_pids+=($!)
}
monitor mr11 "$OUT/mon.mr11" -j
monitor mr12 "$OUT/mon.mr12" -j
monitor mr12 "$OUT/mon.mr12.txt"
wait_for 5 '[ "$(monitors mr11)" = 1 ]' || bad "mr11: monitor not connected ($(monitors mr11))"
wait_for 5 '[ "$(monitors mr12)" = 2 ]' || bad "mr12: monitors not connected ($(monitors mr12))"

# ---- a handover, watched
t0=$(date +%s%N)
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 10 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
move1_ms=$((($(date +%s%N) - t0) / 1000000))
mnid=$(jq_ mr11 show mns -- '.[0].mnid')
link=$(jq_ mr11 show mns -- '.[0].ifname')
p1=$(mn_prefixes mn1 mr11 | head -1)
echo "mn1 ($mnid) at mr11 on $link with $p1 after $move1_ms ms"
# Everything the schema test wants, while the pMR still holds the context.
ctl mr12 show handovers >"$OUT/ho.mr12"
ctl mr12 show handovers "$mnid" >"$OUT/ho.mr12.filtered"

has_event() { # has_event FILE EVENT [MNID]: a JSON line of that event (for MNID)
	jq -e --arg e "$2" --arg m "${3:-}" \
		'select(.event == $e and ($m == "" or .mnid == $m))' "$1" 2>/dev/null | grep -q .
}
wait_until 5 has_event "$OUT/mon.mr11" attach "$mnid" || bad "mr11 monitor: no attach of $mnid"
wait_until 5 has_event "$OUT/mon.mr11" ctx_acked || bad "mr11 monitor: no ctx_acked (the nMR's handover step)"
wait_until 5 has_event "$OUT/mon.mr12" link_loss || bad "mr12 monitor: no link_loss"
wait_until 5 has_event "$OUT/mon.mr12" ctx_received || bad "mr12 monitor: no ctx_received (the pMR's handover step)"
wait_until 5 grep -Eq '^[0-9T:.-]+Z mr12 ctx_received( |$)' "$OUT/mon.mr12.txt" ||
	bad "mr12 text monitor: no ctx_received line: $(cat "$OUT/mon.mr12.txt")"
note "mr11 monitor: $(jq -r .event "$OUT/mon.mr11" | tr '\n' ' ')"
note "mr12 monitor (text):"; cat "$OUT/mon.mr12.txt"

note "text, for the log:"
for c in "mr11 show mns" "mr12 show handovers" "mr31 show cache" "lm1haa1 show bindings $p1" \
	"lm1haa1 show leases $mnid" "mr11 show peers 2001:db8:ff::12"; do
	echo "\$ dmmctl -n $c"; "$DMMCTL" -n $c
done

# ---- every command with -j: RESULTS has one "COMMAND<TAB>FILE" per run
RESULTS=$OUT/results
: >"$RESULTS"
run() { # run NAME NODE ARGS...: dmmctl -j -n NODE ARGS > a file, recorded as NAME
	local name=$1 node=$2 f
	shift 2
	f=$OUT/run.$(wc -l <"$RESULTS")
	"$DMMCTL" -j -n "$node" "$@" >"$f"
	echo "$? $*" >"$f.rc"
	printf '%s\t%s\n' "$name" "$f" >>"$RESULTS"
}
"$DMMCTL" -j help >"$OUT/help" || bad "dmmctl -j help"
printf 'help\t%s\n' "$OUT/help" >>"$RESULTS"
"$DMMCTL" -j -V >"$OUT/V" || bad "dmmctl -j -V"
printf 'version\t%s\n' "$OUT/V" >>"$RESULTS"
run version mr11 version
run version lm1haa1 ver
for n in mr11 mr12; do
	run "show mns" $n show mns
	run "show cache" $n show cache
	run "show handovers" $n show handovers
	run "show counters" $n show counters
	run "show peers" $n show peers
	run "show config" $n show config
done
printf 'show handovers\t%s\n' "$OUT/ho.mr12" "$OUT/ho.mr12.filtered" >>"$RESULTS"
run "show mns" mr11 sh mn "$mnid"
run "show cache" mr31 show cache "$p1"
run "show cache" mr31 show cache 2001:db8::/16
run "show peers" mr11 show peers 2001:db8:ff::1
for n in lm1haa1 lm2haa2; do
	run "show bindings" $n show bindings
	run "show leases" $n show leases
	run "show counters" $n show counters
	run "show peers" $n show peers
	run "show config" $n show config
done
run "show bindings" lm1haa1 show bind "$p1"
run "show bindings" lm1haa1 show bind "$mnid"
run "show leases" lm1haa1 show leases "$mnid"
run "show bindings" lm3 show bindings
run "show store" lm1haa1 show store
run "show leases" haa3 show leases
run "show config" haa3 show config
run "clear counters" mr11 clear counters
run "show counters" mr11 show counters
# detach and attach again, as the carrier would
run detach mr11 detach "$link"
wait_for 5 '[ "$(jq_ mr11 show mns -- length)" = 0 ]' || bad "mr11 still shows mn1 after detach"
run attach mr11 attach "$link" "$mnid"
wait_until 10 mn_ready mn1 mr11 || bad "mn1 not attached at mr11 again"
wait_until 5 has_event "$OUT/mon.mr11" link_loss "$mnid" || bad "mr11 monitor: no link_loss after detach"
# errors: {"error": ...} and a non-zero exit
run error mr11 show bindings           # not an LM
run error mr11 show mns 02:00:00:00:99:99
run error mr11 show peers 2001:db8:ff::77
run error mr11 s c                     # ambiguous
run error nosuchnode show counters     # no socket
run error mr11 attach "$link"          # usage
cp "$OUT/mon.mr11" "$OUT/mon.mr11.now"
cp "$OUT/mon.mr12" "$OUT/mon.mr12.now"
printf 'monitor\t%s\n' "$OUT/mon.mr11.now" "$OUT/mon.mr12.now" >>"$RESULTS"

python3 - "$SCHEMA" "$RESULTS" "$OUT/help" <<'PY' || bad "schema check"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
runs = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
commands = [c["command"] for c in json.load(open(sys.argv[3]))["commands"]]
fails, seen = 0, set()
for name, path in runs:
    text = open(path).read()
    rc = None
    try:
        rc = int(open(path + ".rc").read().split()[0])
    except OSError:
        pass
    lines = text.splitlines() if name == "monitor" else [text]
    if not text.strip():
        print("FAIL: %s (%s): no output" % (name, path)); fails += 1; continue
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError as e:
            print("FAIL: %s (%s): not JSON: %s: %r" % (name, path, e, line[:200])); fails += 1; continue
        want = "error" if name == "error" else name.replace(" ", "_")
        if want not in schema["$defs"]:
            print("FAIL: no schema for %s" % name); fails += 1; continue
        sub = dict(schema, **{"$ref": "#/$defs/" + want})
        del sub["anyOf"]
        errs = list(jsonschema.Draft202012Validator(sub).iter_errors(doc))
        for e in errs[:3]:
            print("FAIL: %s (%s): %s at %s" % (name, path, e.message, list(e.absolute_path)))
        fails += bool(errs)
        # the top-level schema (anyOf every command) takes it too
        if not errs and not jsonschema.Draft202012Validator(schema).is_valid(doc):
            print("FAIL: %s: not valid against the whole schema" % name); fails += 1
    if name == "error" and rc in (0, None):
        print("FAIL: error case %s exited %s" % (path, rc)); fails += 1
    if name != "error" and rc not in (0, None):
        print("FAIL: %s (%s) exited %s" % (name, path, rc)); fails += 1
    seen.add(name)
for c in commands:
    if c not in seen:
        print("FAIL: dmmctl command '%s' not run by this test" % c); fails += 1
for c in commands + ["error"]:
    if c.replace(" ", "_") not in schema["$defs"]:
        print("FAIL: no schema for '%s'" % c); fails += 1
print("%d outputs of %d commands checked, %d failures" % (len(runs), len(seen), fails))
sys.exit(1 if fails else 0)
PY
# filters select: one MN, prefixes by containment, one peer
[ "$(jq -c '[.[].mnid]' "$(awk -F'\t' '$1 == "show mns" {f=$2} END {print f}' "$RESULTS")")" = "[\"$mnid\"]" ] ||
	bad "show mns $mnid"
[ "$(ctl mr31 show cache 2001:db8:ffff::/48 | jq length)" = 0 ] || bad "cache filter outside every prefix not empty"
ctl lm1haa1 show bindings "$p1" | jq -e --arg p "$p1" 'length == 1 and .[0].prefix == $p' >/dev/null ||
	bad "bindings $p1: $(ctl lm1haa1 show bindings "$p1")"
a1=$(mn_addr mn1 "$p1")
ctl lm1haa1 show bindings "$a1" | jq -e --arg p "$p1" 'length == 1 and .[0].prefix == $p' >/dev/null ||
	bad "bindings of address $a1 (contained in $p1): $(ctl lm1haa1 show bindings "$a1")"

# ---- a stopped monitor stalls nothing
stopped=${mon_pids[1]} # mr12's JSON monitor
kill -STOP "$stopped"
n0=$(wc -l <"$OUT/mon.mr12.txt")
t0=$(date +%s%N)
$L -l $LAB move mn1 mr12 >/dev/null || bad "move mn1 mr12"
wait_until 10 mn_ready mn1 mr12 || bad "mn1 not attached at mr12 with a monitor stopped"
move2_ms=$((($(date +%s%N) - t0) / 1000000))
q0=$(date +%s%N)
ctl mr12 show counters >/dev/null || bad "dmmctl on mr12 failed with a monitor stopped"
q=$((($(date +%s%N) - q0) / 1000000))
attach_after() { tail -n +"$((n0 + 1))" "$OUT/mon.mr12.txt" | grep -q " mr12 attach "; }
wait_until 5 attach_after ||
	bad "the live monitor on mr12 missed mn1's attach"
echo "move to mr11 took $move1_ms ms, back to mr12 with a stopped monitor $move2_ms ms; dmmctl answered in $q ms"
[ "$move2_ms" -le $((move1_ms * 3 + 2000)) ] || bad "the move with a stopped monitor took $move2_ms ms"
[ "$q" -lt 1000 ] || bad "dmmctl took $q ms with a stopped monitor"
kill -CONT "$stopped"
lab_result "every dmmctl command's JSON matches the schema; monitors saw the attach and the handover; a stopped one stalled nothing"
