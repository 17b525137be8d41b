#!/bin/bash
# dmm-test: plain
# dmmd's help and version (issue 12):
#  - -h and --help print the usage and every option on stdout, exit 0;
#  - -V and --version print "dmmd VERSION", VERSION being debian/changelog's
#    newest entry (the Makefile's VERSION, which dmmctl prints too);
#  - an unknown option or a stray argument: the usage on stderr, exit 2;
#  - -f naming no file: an error naming it, exit 1, before any start-up.
set -u
cd "$(dirname "$0")/../.."
dmmd=build/dmmd
make -s "$dmmd" >/dev/null || { echo "FAIL: cannot build $dmmd"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

version=$(sed -n '1s/^dmm (\([^)]*\)).*/\1/p' debian/changelog)
[ -n "$version" ] || bad "no version in debian/changelog"
for opt in -h --help; do
	"$dmmd" $opt >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 0 ] || bad "$opt: exit $rc"
	[ -s "$tmp/err" ] && bad "$opt wrote to stderr: $(cat "$tmp/err")"
	for o in -d -f -n -p -v -P -h --help -V --version; do
		grep -q -- " $o[ ,]" "$tmp/out" || bad "$opt: option $o not described"
	done
done
for opt in -V --version; do
	[ "$("$dmmd" $opt)" = "dmmd $version" ] || bad "$opt: '$("$dmmd" $opt)'"
done
for args in "--bogus" "-x" "stray"; do
	"$dmmd" $args >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 2 ] || bad "dmmd $args: exit $rc, expected 2"
	grep -q "^usage: dmmd" "$tmp/err" || bad "dmmd $args: no usage on stderr"
	[ -s "$tmp/out" ] && bad "dmmd $args wrote to stdout"
done
"$dmmd" -d -f "$tmp/none.conf" >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] || bad "missing -f file: exit $rc"
grep -q "$tmp/none.conf: No such file or directory" "$tmp/out" || bad "missing -f file: $(cat "$tmp/out")"
[ $fail = 0 ] && echo "dmmd_usage: help, version $version, bad usage"
exit $fail
