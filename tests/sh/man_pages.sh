#!/bin/bash
# The manual pages render without a single warning: groff -ww (all
# warnings) and man -l with warnings on; any message on stderr fails.
set -u
cd "$(dirname "$0")/../.."
command -v man >/dev/null && command -v groff >/dev/null || { echo "man/groff not installed"; exit 77; }
fail=0
# Every page of man/ (a new one is checked without being listed here).
pages=(man/*.[1-8])
[ ${#pages[@]} -ge 6 ] || { echo "FAIL: only ${#pages[@]} pages in man/"; fail=1; }
for page in "${pages[@]}"; do
	[ -f "$page" ] || { echo "FAIL: $page missing"; fail=1; continue; }
	out=$(groff -mdoc -ww -z "$page" 2>&1)
	[ -z "$out" ] || { echo "FAIL: groff warns on $page:"; echo "$out"; fail=1; }
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$out" ] || { echo "FAIL: man warns on $page:"; echo "$out"; fail=1; }
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^NAME' ||
		{ echo "FAIL: $page renders no NAME section"; fail=1; }
done
exit $fail
