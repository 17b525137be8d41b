#!/bin/bash
# The manual pages render without a single warning: groff -ww (all
# warnings) and man -l with warnings on; any message on stderr fails.
set -u
cd "$(dirname "$0")/../.."
command -v man >/dev/null && command -v groff >/dev/null || { echo "man/groff not installed"; exit 77; }
fail=0
for page in man/dmmd.8 man/dmmd.conf.5 man/dmmctl.8 man/dmmlab.8; do
	[ -f "$page" ] || { echo "FAIL: $page missing"; fail=1; continue; }
	out=$(groff -mdoc -ww -z "$page" 2>&1)
	[ -z "$out" ] || { echo "FAIL: groff warns on $page:"; echo "$out"; fail=1; }
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$out" ] || { echo "FAIL: man warns on $page:"; echo "$out"; fail=1; }
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^NAME' ||
		{ echo "FAIL: $page renders no NAME section"; fail=1; }
done
exit $fail
