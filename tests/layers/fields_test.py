#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""No service writes a field of a machine or a hart (issue 12, item 2).

Services (gdbstub/, replay/, snapshot/, cli/, introspect/, plugins/) change a machine
only through its control surface (hv/platform/control.h) and the calls
the core offers; they may read fields. This check reads the services' C
sources given on the command line and prints one FAIL line, FILE:LINE and
the line, for every write it finds to a field reached through a machine
or hart pointer: an assignment (=, +=, |=, ...) or an increment whose
left side is such a field, and memset/memcpy/memmove into one.

What counts as a machine or hart pointer: the names the code base gives
them (m, mach, machine, h, hart, and any path ending in one of these,
such as gs->m or w.m), m->hart[i], and the machine's cur, last_run and
dbg. Comments and string literals are ignored. The check is a grep, not a
compiler: it knows names, not types, so a local struct named m (not a
pointer) is not looked at, and a write through a pointer copied under
another name is not seen.

Usage: fields_test.py FILE...            (Bazel passes the sources)
       fields_test.py --expect-failures N FILE...
The second form is the check's own test: it passes when exactly N writes
are found (tests/layers/fields_fixture.txt holds writes that must be found
and look-alikes that must not).
"""
import re
import sys

PTR = r"(?:\b(?:m|mach|machine|h|hart)|->hart\[[^\]]*\]|->(?:cur|last_run|dbg))->"
PATH = r"\w+(?:\[[^\]]*\]|\.\w+|->\w+)*"
ASSIGN = re.compile(PTR + PATH + r"\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)")
INCR_AFTER = re.compile(PTR + PATH + r"\s*(?:\+\+|--)")
INCR_BEFORE = re.compile(r"(?:\+\+|--)\s*[\w.>\-]*" + PTR + PATH)
COPY_INTO = re.compile(r"\b(?:memset|memcpy|memmove)\s*\(\s*&?\s*[\w.>\-]*" + PTR)
CHECKS = (ASSIGN, INCR_AFTER, INCR_BEFORE, COPY_INTO)


def strip(text):
    """Comments and string/char literals blanked, newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * max(0, j - i - 2) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def writes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    raw = text.split("\n")
    for no, line in enumerate(strip(text).split("\n"), 1):
        if any(c.search(line) for c in CHECKS):
            yield no, raw[no - 1].strip()


def main(argv):
    expect = None
    if len(argv) > 2 and argv[1] == "--expect-failures":
        expect = int(argv[2])
        argv = argv[2:]
    files = argv[1:] if expect is not None else [a for a in argv[1:] if a.endswith(".c")]
    if not files:
        print("FAIL: no C sources given")
        return 1
    found = 0
    for path in files:
        for no, line in writes(path):
            found += 1
            print("FAIL: %s:%d writes a machine or hart field (use "
                  "hv/platform/control.h): %s" % (path, no, line))
    if expect is not None:
        if found != expect:
            print("FAIL: the check found %d writes, the fixture holds %d" % (found, expect))
            return 1
        print("ok: the check found the fixture's %d writes and nothing else" % expect)
        return 0
    if found:
        print("%d direct write(s) in %d files" % (found, len(files)))
        return 1
    print("ok: no service writes a machine or hart field (%d files)" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
