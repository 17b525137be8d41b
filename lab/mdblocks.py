"""Generated blocks of a markdown document, checked against their data.

A block is the text between `<!-- TAG:begin DIR -->` and `<!-- TAG:end -->`
on lines of their own; DIR names the raw data it was generated from. The
report scripts of lab/ (bench-lm-report.py, bench-lm-ab-report.py,
bench-lm-mem-report.py) print their blocks from DIR and, with --check DOC,
use check() to fail on any block that is not what its data gives."""
import difflib
import re
import sys


def check(doc, tag, generate, prog):
    """Compare each TAG block of doc with generate(DIR) (None: the data
    could not give it). Prints a diff for each block that differs; returns
    0 if all match, 1 otherwise (also when doc has no TAG block)."""
    text = open(doc).read()
    found = re.findall(r"<!-- %s:begin (\S+) -->\n(.*?)\n?<!-- %s:end -->" % (tag, tag), text, re.S)
    if not found:
        print("%s: no %s block in %s" % (prog, tag, doc), file=sys.stderr)
        return 1
    bad = 0
    for d, body in found:
        want = generate(d)
        if want is None or body.strip() != want.strip():
            print("%s: the block of %s in %s differs from its data:" % (prog, d, doc), file=sys.stderr)
            sys.stderr.writelines(difflib.unified_diff((body.strip() + "\n").splitlines(True),
                                                       ((want or "").strip() + "\n").splitlines(True),
                                                       "docs", "data"))
            bad = 1
        else:
            print("%s: %s matches %s" % (prog, doc, d))
    return bad
