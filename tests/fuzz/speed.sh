#!/bin/bash
# Speed of libFuzzer harnesses, two builds side by side:
#   tests/fuzz/speed.sh BASE NEW [HARNESS...]   measure (root not needed)
#   tests/fuzz/speed.sh --summary FILE          recompute the summary
# BASE and NEW are directories of harness binaries (e.g. build/fuzz of
# main and of this tree). For each harness (default node tun parse), ROUNDS
# (default 3) rounds, each running BASE then NEW for SECS (default 30)
# seconds with the same -seed, from the same copy of the committed corpus
# (tests/fuzz/corpus/NAME, not modified: new units go to a scratch
# directory), under nice -n 19 (NICE). Raw rows, one per run, to stdout and to
# OUT (default bench/fuzz/speed-DATE.txt):
#   harness variant round executions cpu_seconds wall_seconds
# then the summary: for each harness and variant, executions per wall
# second and per CPU second (user + system: on a shared machine a run
# gets what CPU the others leave it), and NEW/BASE per CPU second.
# MID=DIR: a third build, run between BASE and NEW in every round (e.g.
# the first harness, main, this tree); the summary also gives NEW/MID.
# CORPUS=DIR: that corpus instead of tests/fuzz/corpus/NAME (one harness).
# LOAD=1: each run is preceded by the same run with -runs=0 (the corpus
# load alone: rows VARIANT-load); the summary then also gives the rate
# after the load, (executions - load's) / (CPU s - load's), which is what
# a long campaign sees (a slow harness spends a short run loading).
# NICE=N: the niceness of the runs (default 19; 0 when other runs of ours
# at normal priority would leave a niced one almost no CPU).
set -u
cd "$(dirname "$0")/../.."

summary() {
	awk '!/^#/ && NF == 6 {
		k = $1 " " $2; e[k] += $4; c[k] += $5; w[k] += $6; h[$1] = 1
	}
	END {
		for (x in h) {
			b = x " base"; n = x " new"
			if (!(b in e) || !(n in e) || c[b] == 0 || c[n] == 0) continue
			printf "%s: base %.0f exec/s (%.0f per CPU s), new %.0f exec/s (%.0f per CPU s): %.2fx per CPU second\n",
			       x, e[b] / w[b], e[b] / c[b], e[n] / w[n], e[n] / c[n],
			       (e[n] / c[n]) / (e[b] / c[b])
			m = x " mid"
			if ((m in e) && c[m] > 0)
				printf "%s: mid %.0f exec/s (%.0f per CPU s): new %.2fx mid, mid %.2fx base per CPU second\n",
				       x, e[m] / w[m], e[m] / c[m], (e[n] / c[n]) / (e[m] / c[m]),
				       (e[m] / c[m]) / (e[b] / c[b])
			# LOAD rows: the corpus load alone, taken off each run
			if (!((b "-load") in e) || !((n "-load") in e)) continue
			split("base mid new", vs, " ")
			line = x ": after the corpus load (mutations only):"
			for (i = 1; i <= 3; i++) {
				v = x " " vs[i]
				if (!(v in e) || !((v "-load") in e)) continue
				dc = c[v] - c[v "-load"]
				r[vs[i]] = dc > 0 ? (e[v] - e[v "-load"]) / dc : 0
				line = line sprintf(" %s %.0f", vs[i], r[vs[i]])
			}
			line = line " executions per CPU second"
			if (r["base"] > 0)
				line = line sprintf("; new %.2fx base", r["new"] / r["base"])
			if (r["mid"] > 0)
				line = line sprintf(", new %.2fx mid, mid %.2fx base", r["new"] / r["mid"],
						    r["mid"] / r["base"])
			print line
		}
	}' "$1" | sort
}

if [ "${1:-}" = --summary ]; then
	summary "$2"
	exit 0
fi
base=$1 new=$2
shift 2
harnesses=${*:-node tun parse}
secs=${SECS:-30}
rounds=${ROUNDS:-3}
nice=${NICE:-19}
mkdir -p bench/fuzz
out=${OUT:-bench/fuzz/speed-$(date -u +%Y%m%d-%H%M).txt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
	echo "# tests/fuzz/speed.sh $base $new $harnesses (SECS=$secs ROUNDS=$rounds NICE=$nice${MID:+ MID=$MID}${CORPUS:+ CORPUS=$CORPUS}${LOAD:+ LOAD=1})"
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# harness variant round executions cpu_seconds wall_seconds"
} | tee "$out"
for h in $harnesses; do
	for r in $(seq 1 "$rounds"); do
		for v in base ${MID:+mid} new; do
			d=$base
			[ $v = mid ] && d=$MID
			[ $v = new ] && d=$new
			for phase in ${LOAD:+load} run; do
				rm -rf "$tmp/scratch"
				mkdir -p "$tmp/scratch"
				lim=-max_total_time="$secs" name=$v
				[ $phase = load ] && lim=-runs=0 name=$v-load
				/usr/bin/time -o "$tmp/time" -f '%U %S %e' nice -n "$nice" "$d/fuzz_$h" -seed=7 \
					"$lim" -print_final_stats=1 "$tmp/scratch" \
					"${CORPUS:-tests/fuzz/corpus/$h}" >"$tmp/log" 2>&1
				execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log")
				# -runs=0 prints no final stats: the INITED line has the count
				[ -z "$execs" ] && execs=$(sed -n 's/^#\([0-9]*\).*INITED.*/\1/p' "$tmp/log")
				read -r u s e <"$tmp/time"
				echo "$h $name $r ${execs:-0} $(echo "$u + $s" | bc) $e" | tee -a "$out"
			done
		done
	done
done
echo "# summary" | tee -a "$out"
summary "$out" | sed 's/^/# /' | tee -a "$out"
