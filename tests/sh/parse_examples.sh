#!/bin/bash
# Config grammar against golden files:
#  - every examples/figure1/*.conf passes `dmmd -n`;
#  - `dmmd -nv` prints exactly tests/golden/<name>.nv (key file path as @DIR@),
#    and that output parses again to the same text (round trip);
#  - tests/golden/broken.conf fails with exactly the errors, lines and order
#    of tests/golden/broken.err;
#  - a key file readable by others is refused.
# The examples are copied to a temporary directory, where the key file gets
# mode 0600 (git does not keep it).
set -u
cd "$(dirname "$0")/../.."
dmmd=build/dmmd
if ! make -s "$dmmd" 2>/dev/null; then
	make -s -f Makefile -f daemon/build.mk "$dmmd" || { echo "cannot build $dmmd"; exit 1; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp examples/figure1/*.conf examples/figure1/keys tests/golden/broken.conf "$tmp"/
chmod 600 "$tmp/keys"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

n=0
for f in "$tmp"/*.conf; do
	name=$(basename "$f" .conf)
	[ "$name" = broken ] && continue
	n=$((n + 1))
	"$dmmd" -n -f "$f" 2>"$tmp/err" || { bad "$name: dmmd -n failed"; cat "$tmp/err"; continue; }
	"$dmmd" -nv -f "$f" >"$tmp/$name.nv" 2>"$tmp/err" || { bad "$name: -nv"; continue; }
	sed "s|$tmp|@DIR@|g" "$tmp/$name.nv" >"$tmp/$name.golden"
	if ! diff -u "tests/golden/$name.nv" "$tmp/$name.golden"; then
		bad "$name: normalized output differs from tests/golden/$name.nv"
	fi
	cp "$tmp/$name.nv" "$tmp/rt-$name.conf.txt"
	"$dmmd" -nv -f "$tmp/rt-$name.conf.txt" >"$tmp/$name.nv2" 2>"$tmp/err" ||
		{ bad "$name: normalized output does not parse again"; cat "$tmp/err"; }
	cmp -s "$tmp/$name.nv" "$tmp/$name.nv2" || bad "$name: round trip changed the output"
done
[ "$n" -ge 10 ] || bad "expected at least 10 example configs, found $n"

(cd "$tmp" && "$OLDPWD/$dmmd" -n -f broken.conf) >"$tmp/broken.out" 2>&1
rc=$?
[ $rc -eq 1 ] || bad "broken.conf: exit $rc, expected 1"
diff -u tests/golden/broken.err "$tmp/broken.out" || bad "broken.conf: errors differ"
nerr=$(grep -c '^broken.conf:[0-9]*: ' "$tmp/broken.out")
[ "$nerr" -ge 5 ] || bad "broken.conf: only $nerr errors with a line number"

chmod 644 "$tmp/keys"
if "$dmmd" -n -f "$tmp/mr11.conf" 2>"$tmp/err"; then
	bad "a world-readable key file was accepted"
fi
grep -q "keys: key file is accessible by group or others; chmod 600 it" "$tmp/err" ||
	{ bad "no clear message for a readable key file"; cat "$tmp/err"; }

[ $fail -eq 0 ] && echo "parse_examples: $n examples, broken.conf and key mode OK"
exit $fail
