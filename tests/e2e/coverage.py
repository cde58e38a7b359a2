#!/usr/bin/env python3
"""Race-checking coverage over a suite of short processes.

Usage: coverage.py LOCKSCOPE PROG WORKDIR

A suite of 200 short runs of PROG (twelve globals, clean) under one
`lockscope run`: the report's coverage line and JSON say every process was
watched, and each process starting its rotation at its own place spreads
the sampled globals over all twelve (in symbol order the first few were
sampled in 2% of the runs).  With the watchpoints off, the report says
races were hardly checked.  Prints "ok" and exits 0, or "FAIL: ..." and 1.
"""
import collections
import json
import os
import shutil
import subprocess
import sys

RUNS = 200
GLOBALS = ["g%02d" % i for i in range(12)]


def fail(msg, out=""):
    print("FAIL: %s" % msg)
    if out:
        print(out[-4000:])
    sys.exit(1)


def run(ls, work, name, prog, env_extra=None):
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    js = os.path.join(work, name + ".json")
    env = dict(os.environ)
    env.pop("LOCKSCOPE_OPTIONS", None)
    env.update(env_extra or {})
    suite = "for i in $(seq %d); do %s >/dev/null || exit 1; done" % (RUNS, prog)
    p = subprocess.run([ls, "run", "--no-html", "--out", out, "--json", js, "--", "sh", "-c",
                        suite], capture_output=True, env=env, timeout=600)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        fail("%s: status %d" % (name, p.returncode), err)
    with open(js, encoding="utf-8") as f:
        return json.load(f), err


def main():
    ls, prog, work = sys.argv[1:4]
    os.makedirs(work, mode=0o700, exist_ok=True)
    os.chmod(work, 0o700)
    rep, err = run(ls, work, "suite", prog)
    cov = rep["summary"]["race_coverage"]
    if cov["processes_with_threads"] != RUNS or cov["processes_watched"] != RUNS \
            or cov["hardly_checked"] or cov["accesses_sampled"] < RUNS:
        fail("coverage %s" % cov, err)
    line = "lockscope: race checking: %d of %d processes with threads watched, %d accesses " \
           "sampled on" % (RUNS, RUNS, cov["accesses_sampled"])
    if line not in err:
        fail("no coverage line %r" % line, err)
    seen = collections.Counter()
    for p in rep["processes"]:
        for s in p["races"]["sampled"]:
            if s["reads"] + s["writes"]:
                seen[s["variable"]] += 1
    low = [g for g in GLOBALS if seen[g] < RUNS * 15 // 100]
    if low:
        fail("globals sampled in fewer than 15%% of the runs: %s (all: %s)"
             % (low, sorted(seen.items())))
    if rep["findings"]:
        fail("findings in a clean suite: %s" % [f["kind"] for f in rep["findings"]], err)
    rep, err = run(ls, work, "off", prog, {"LOCKSCOPE_OPTIONS": "watch=0"})
    if not rep["summary"]["race_coverage"]["hardly_checked"] or \
            "lockscope: races were hardly checked: 0 accesses sampled in %d processes with " \
            "threads (0 with watchpoints)" % RUNS not in err:
        fail("watch=0: not said that races were hardly checked", err)
    print("ok: %s" % sorted(seen.items()))


if __name__ == "__main__":
    main()
