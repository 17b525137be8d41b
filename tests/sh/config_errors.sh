#!/bin/bash
# dmm-test: plain
# The configuration checker reports every mistake of a file in one run,
# each with its line (issue 12, "the first hour"):
#  - tests/configs/mistakes.conf (syntax and whole-file mistakes together:
#    overlapping networks, a pool outside every network, fixed prefixes in
#    a mobile range, link-local, multicast and unspecified LM/HAA
#    addresses, repeated directives and blocks, misspelt keywords): every
#    line marked "# error" gets an error naming that line, no other line
#    does, dmmd -n exits 1, and the output is exactly mistakes.err;
#  - a file of 80 bad lines: the first 50 errors, then one line saying the
#    check stopped (no flood).
# The examples still check clean: parse_examples.sh.
set -u
cd "$(dirname "$0")/../.."
dmmd=build/dmmd
make -s "$dmmd" >/dev/null || { echo "FAIL: cannot build $dmmd"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

cp tests/configs/mistakes.conf examples/figure1/keys "$tmp"/
chmod 600 "$tmp/keys"
(cd "$tmp" && "$OLDPWD/$dmmd" -n -f mistakes.conf) >"$tmp/out" 2>&1
rc=$?
[ $rc = 1 ] || bad "mistakes.conf: exit $rc, expected 1"
diff -u tests/configs/mistakes.err "$tmp/out" || bad "mistakes.conf: output differs from mistakes.err"

# The lines marked "# error" and the lines the errors name: the same set.
grep -n '# error' tests/configs/mistakes.conf | cut -d: -f1 | sort -n >"$tmp/want"
sed -n 's/^mistakes\.conf:\([0-9]*\): .*/\1/p' "$tmp/out" | sort -nu >"$tmp/got"
n=$(wc -l <"$tmp/want")
[ "$n" -ge 25 ] || bad "only $n marked lines in mistakes.conf"
diff "$tmp/want" "$tmp/got" >"$tmp/linediff" ||
	{ bad "marked lines (<) and reported lines (>) differ:"; cat "$tmp/linediff"; }
grep -q "^mistakes.conf: $(grep -c '^mistakes\.conf:[0-9]*: ' "$tmp/out") errors$" "$tmp/out" ||
	bad "the closing count is not the number of errors"

# A flood: 80 unknown keywords give 50 errors and a notice, nothing more.
for i in $(seq 80); do echo "bogus$i yes"; done >"$tmp/flood.conf"
"$dmmd" -n -f "$tmp/flood.conf" >"$tmp/flood.out" 2>&1
rc=$?
[ $rc = 1 ] || bad "flood: exit $rc"
[ "$(grep -c ": unknown keyword 'bogus" "$tmp/flood.out")" = 50 ] ||
	bad "flood: $(grep -c 'unknown keyword' "$tmp/flood.out") errors shown, expected 50"
grep -q "flood.conf:50: unknown keyword 'bogus50'" "$tmp/flood.out" || bad "flood: error 50 not shown"
grep -q "flood.conf: too many errors; stopped after 50$" "$tmp/flood.out" ||
	{ bad "flood: no stop notice"; tail -3 "$tmp/flood.out"; }
[ "$(wc -l <"$tmp/flood.out")" = 52 ] || bad "flood: $(wc -l <"$tmp/flood.out") lines, expected 52"

# routing locator (dmmd.conf(5), MR): each mistake at its line.
cp examples/figure1/mr12.conf examples/figure1/keys "$tmp"/ && chmod 600 "$tmp/keys"
loc_case() { # SED-EXPR EXPECTED-ERROR-TEXT
	sed -e "$1" "$tmp/mr12.conf" >"$tmp/loc.conf"
	(cd "$tmp" && "$OLDPWD/$dmmd" -n -f loc.conf) >"$tmp/loc.out" 2>&1 &&
		bad "routing locator: '$1' accepted"
	grep -q "^loc.conf:[0-9]*: .*$2" "$tmp/loc.out" ||
		{ bad "routing locator: '$1': no error '$2'"; cat "$tmp/loc.out"; }
}
loc_case 's/routing tunnel/routing locator/; /^\tlocator /d' 'routing locator needs this MR.s locator prefix'
loc_case 's/routing tunnel/routing sideways/' "routing: 'sideways' is not tunnel or locator"
loc_case 's|^\tlocator .*|\tlocator 2001:db8:a120::/56|' 'its length must be /32 to /48'
loc_case 's|^\tlocator .*|\tlocator 2001:db8:1::/48|' 'overlaps 2001:db8:1::/48, a home prefix of network ln1'
loc_case 's/routing tunnel/routing locator/; $a dataplane tun' 'the tun data-plane driver cannot translate per-host locators'
sed -e 's/routing tunnel/routing locator/' "$tmp/mr12.conf" >"$tmp/loc.conf"
(cd "$tmp" && "$OLDPWD/$dmmd" -n -f loc.conf) >"$tmp/loc.out" 2>&1 ||
	{ bad "routing locator with a locator prefix refused"; cat "$tmp/loc.out"; }

[ $fail = 0 ] && echo "config_errors: $(grep -c '^mistakes\.conf:[0-9]*: ' "$tmp/out") errors on $n marked lines, flood capped"
exit $fail
