#!/usr/bin/env python3
"""Trace files of a directory are read in pid order, as numbers.

Usage: trace_order.py LOCKSCOPE NOODLE_FORK WORKDIR

Two runs of noodle_fork leave two traces; they are put in one directory as
lockscope.9.trace and lockscope.10.trace.  The analysis must take the
process of lockscope.9.trace first (its pid is the first in the JSON
process list, and the cycle's finding shows that process), as it would if
pid 9 had been started before pid 10: a directory listing in string order
would put "10" first.
Prints "ok" and exits 0, or "FAIL: ..." and exits 1.
"""
import glob
import json
import os
import shutil
import subprocess
import sys


def fail(msg, out=""):
    print("FAIL: %s" % msg)
    if out:
        print(out[-3000:])
    sys.exit(1)


def main():
    ls, noodle, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSCOPE_")}
    traces = []
    for i in range(2):
        out = os.path.join(work, "run%d" % i)
        p = subprocess.run([ls, "run", "--no-html", "--out", out, "--", noodle],
                           capture_output=True, env=env, timeout=120)
        found = glob.glob(os.path.join(out, "*.trace"))
        if p.returncode != 66 or len(found) != 1:
            fail("run %d: status %d, traces %s" % (i, p.returncode, found),
                 p.stderr.decode(errors="replace"))
        traces.append(found[0])
    both = os.path.join(work, "both")
    os.makedirs(both)
    shutil.copy(traces[0], os.path.join(both, "lockscope.10.trace"))
    shutil.copy(traces[1], os.path.join(both, "lockscope.9.trace"))
    js = os.path.join(work, "r.json")
    p = subprocess.run([ls, "analyze", "--json", js, both], capture_output=True, env=env,
                       timeout=120)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 66:
        fail("analyze: status %d, expected 66" % p.returncode, err)
    rep = json.load(open(js, encoding="utf-8"))
    pids = [pr["pid"] for pr in rep["processes"]]
    want = [int(os.path.basename(t).split(".")[1]) for t in reversed(traces)]
    if pids != want:
        fail("processes in the order %s, expected %s (lockscope.9.trace first)" % (pids, want))
    cyc = [f for f in rep["findings"] if f["kind"] == "lock-order-cycle"]
    if len(cyc) != 1 or [s["pid"] for s in cyc[0]["seen_in"]] != want:
        fail("the cycle is not shown from the first process: %s"
             % [f.get("seen_in") for f in cyc])
    print("ok")


if __name__ == "__main__":
    main()
