#!/bin/bash
# Source coverage of the engine (core/*.c) by one corpus, for two trees'
# fuzz_node, to show a harness change kept what its inputs reach:
#   tests/fuzz/covcmp.sh TREE_A TREE_B [CORPUS]
# TREE_A/B are source trees (e.g. a `git worktree add --detach` of main,
# and this one); CORPUS defaults to this tree's tests/fuzz/corpus/node.
# Each tree's tests/fuzz/fuzz_node.c is built with clang's source-based
# coverage (-fprofile-instr-generate -fcoverage-mapping, libFuzzer as the
# driver, no sanitizers), every corpus file is run once (file arguments:
# no mutations, no reruns), and llvm-cov reports core/*.c. Prints, per
# tree, llvm-cov's TOTAL line: regions, missed, %, functions, missed, %,
# lines, missed, %, branches, missed, %. libFuzzer's cov/ft are not
# comparable across builds (the harness's and vnet's own code count too).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$(cd "${3:-$here/tests/fuzz/corpus/node}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find "$corpus" -maxdepth 1 -type f | sort >"$tmp/files"
echo "# tests/fuzz/covcmp.sh $1 $2 $corpus ($(wc -l <"$tmp/files") files), $(clang --version | head -1)"
echo "# tree: regions missed % functions missed % lines missed % branches missed %"
for t in A B; do
	tree=$1
	[ $t = B ] && tree=$2
	tree=$(cd "$tree" && pwd)
	(cd "$tree" && clang -g -O1 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
		-D_GNU_SOURCE -Icore -Itests/lib tests/fuzz/fuzz_node.c core/*.c tests/lib/*.c \
		-o "$tmp/fz$t" -lcrypto -lsodium -ljansson)
	# xargs: many files per run; each run writes its own profile (%p)
	(cd "$tmp" && xargs -a files env LLVM_PROFILE_FILE="$tmp/$t-%p.profraw" \
		"$tmp/fz$t" >"$tmp/log$t" 2>&1)
	llvm-profdata merge -o "$tmp/$t.profdata" "$tmp/$t"-*.profraw
	echo "$tree $(git -C "$tree" rev-parse --short HEAD 2>/dev/null || echo '?'):" \
		"$(cd "$tree" && llvm-cov report "$tmp/fz$t" -instr-profile="$tmp/$t.profdata" core/*.c |
		   awk '/^TOTAL/ { $1 = ""; print }')"
done
