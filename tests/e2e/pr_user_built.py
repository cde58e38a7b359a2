#!/usr/bin/env python3
"""Every end-to-end test that judges data races runs a program built exactly
as users build theirs (ls_user_program: cc -O1 -g -pthread, nothing of the
project's flags), so that the accesses it decodes are an everyday build's.

usage: pr_user_built.py CTEST_FILE USER_PROGRAMS_LIST

CTEST_FILE is tests/e2e's generated CTestTestfile.cmake (each test's full
command line); USER_PROGRAMS_LIST the programs ls_user_program built, one a
line.  A race test is one that asks run_case.py about races (--race-var,
--race-sites, --race-where, --sampled, --trap-count) or narrows the
watchpoints (watch_only=)."""
import re
import sys

RACE_OPTS = ("--race-var", "--race-sites", "--race-where", "--sampled", "--trap-count")


def main():
    ctest, listed = sys.argv[1], sys.argv[2]
    with open(listed) as f:
        built = {l.strip() for l in f if l.strip()}
    bad, checked = [], 0
    with open(ctest) as f:
        for line in f:
            m = re.match(r"add_test\(\[=\[(.*?)\]=\] (.*)\)\s*$", line)
            if not m:
                continue
            name, args = m.group(1), re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
            if "run_case.py" not in " ".join(args[:2]):
                continue
            race = any(a in RACE_OPTS for a in args) or any("watch_only=" in a for a in args)
            if not race or "--" not in args:
                continue
            prog = args[args.index("--") + 1:]
            # the program under test, or a launcher's argument that is one (no_perf PROG)
            targets = [p for p in prog if p.startswith("/") and "/tests/progs/" in p or
                       "/examples/" in p]
            target = targets[-1] if len(targets) > 1 and targets[0].endswith("/no_perf") \
                else (targets[0] if targets else prog[0])
            checked += 1
            if target not in built:
                bad.append("%s runs %s" % (name, target))
    if checked < 20:
        print("FAIL: only %d race tests found in %s" % (checked, ctest))
        sys.exit(1)
    if bad:
        print("FAIL: race tests whose program is not built as users build theirs "
              "(ls_user_program):\n  " + "\n  ".join(bad))
        sys.exit(1)
    print("ok: %d race tests, each on a program built with cc -O1 -g -pthread" % checked)


if __name__ == "__main__":
    main()
