#!/bin/bash
# README's `build/dmmd -n -f examples/figure1/mr12.conf` works right after
# `make` in a fresh clone, where git (which keeps no file modes) leaves
# examples/figure1/keys 0644 and dmmd refuses a key file others can read.
# In a copy of the working tree (its files as git has them, plus today's
# build/ so that make has little to do), keys at 0644:
#   - dmmd -n refuses it (the defect is real);
#   - `make all` then makes it 0600 and dmmd -n accepts the example.
set -u
cd "$(dirname "$0")/../.."
fail=0
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d /tmp/fresh_keys.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	{ echo "FAIL: not a git work tree"; exit 1; }

mode=$(git ls-files -s examples/figure1/keys | cut -d' ' -f1)
[ "$mode" = 100644 ] || echo "note: git has examples/figure1/keys as $mode"
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -C "$tmp" -xf - || { echo "FAIL: copy"; exit 1; }
[ -d build ] && tar --exclude=build/san --exclude=build/fuzz --exclude=build/test-logs \
	--exclude='build/results*' -cf - build | tar -C "$tmp" -xf -
chmod 644 "$tmp/examples/figure1/keys" # as a clone leaves it (umask 022)

cd "$tmp" || exit 1
if out=$(build/dmmd -n -f examples/figure1/mr12.conf 2>&1); then
	[ -x build/dmmd ] && bad "dmmd -n accepted a 0644 key file: the premise of this test is gone"
else
	echo "before make (keys 0644): $out"
	grep -qi "key" <<<"$out" || bad "dmmd -n failed, but not about the key file: $out"
fi
make -s all >"$tmp/make.log" 2>&1 || { bad "make all failed"; tail -20 "$tmp/make.log"; }
m=$(stat -c %a examples/figure1/keys)
echo "after make: keys mode $m"
[ "$m" = 600 ] || bad "make left examples/figure1/keys mode $m, want 600"
out=$(build/dmmd -n -f examples/figure1/mr12.conf 2>&1) ||
	bad "README's build/dmmd -n -f examples/figure1/mr12.conf fails after make: $out"
for c in examples/figure1/*.conf; do
	build/dmmd -n -f "$c" >/dev/null 2>&1 || bad "dmmd -n -f $c fails after make"
done
[ $fail = 0 ] && echo "ok: after make, the examples pass dmmd -n as README shows"
exit $fail
