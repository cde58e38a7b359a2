#!/usr/bin/env python3
"""Findings traced to their tests, across the processes of a suite.

Usage: attribution.py LOCKSCOPE NOODLE_FORK MISUSE_PROG WORKDIR

A suite the way automake runs one: a test driver (`test-driver --test-name
NAME -- PROG`) per test, and one test run directly.  The lock-order cycle
of noodle_fork, seen in three processes, is one finding listing all three
with the test each ran in; a misuse seen in two processes is merged the
same way; the JUnit report has a failing testcase per test process, named
after its test, and none for the drivers' shells (counted instead).
Prints "ok" and exits 0, or "FAIL: ..." and exits 1.
"""
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

DRIVER = """#!/bin/sh
# usage: test-driver --test-name NAME -- PROG ARGS
while [ "$1" != "--" ]; do shift; done; shift
"$@"
echo "PASS: $?"
"""


def fail(msg, out=""):
    print("FAIL: %s" % msg)
    if out:
        print(out[-4000:])
    sys.exit(1)


def main():
    ls, noodle, misuse, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    driver = os.path.join(work, "test-driver")
    with open(driver, "w") as f:
        f.write(DRIVER)
    os.chmod(driver, 0o755)
    suite = ("%(d)s --test-name cycle-one -- %(n)s; %(d)s --test-name cycle-two -- %(n)s; "
             "%(n)s; %(d)s --test-name relock -- %(m)s; %(m)s; true"
             % {"d": driver, "n": noodle, "m": misuse})
    js, xml = os.path.join(work, "r.json"), os.path.join(work, "r.xml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSCOPE_")}
    p = subprocess.run([ls, "run", "--no-html", "--out", os.path.join(work, "t"), "--json", js,
                        "--junit", xml, "--", "sh", "-c", suite], capture_output=True,
                       env=env, timeout=300)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 66:
        fail("status %d, expected 66" % p.returncode, err)
    rep = json.load(open(js, encoding="utf-8"))
    kinds = sorted(f["kind"] for f in rep["findings"])
    if kinds != ["lock-order-cycle", "misuse"]:
        fail("findings %s, expected one cycle and one misuse" % kinds, err)
    cyc = [f for f in rep["findings"] if f["kind"] == "lock-order-cycle"][0]
    mis = [f for f in rep["findings"] if f["kind"] == "misuse"][0]
    procs = rep["processes"]
    tests = [s["test"] for s in cyc["seen_in"]]
    if len(tests) != 3 or "cycle-one" not in tests or "cycle-two" not in tests or \
            noodle not in tests:
        fail("the cycle was seen in %s" % cyc["seen_in"], err)
    if any(procs[s["process"]]["pid"] != s["pid"] or not s["command"].endswith("noodle_fork")
           for s in cyc["seen_in"]):
        fail("seen_in does not name the processes: %s" % cyc["seen_in"])
    if sorted(s["test"] for s in mis["seen_in"]) != sorted(["relock", misuse]):
        fail("the misuse was seen in %s" % mis["seen_in"], err)
    if "Seen in 3 processes:" not in err or "In test: cycle-one (process " not in err:
        fail("the text report does not say where the cycle was seen", err)
    root = ET.parse(xml).getroot()
    cases = {c.get("name"): c.find("failure") is not None for c in root.iter("testcase")}
    want = {"cycle-one > " + noodle: True, "cycle-two > " + noodle: True, noodle: True,
            "relock > " + misuse: True, misuse: True}
    for name, failed in want.items():
        if cases.get(name) != failed:
            fail("JUnit testcase %r: %s (all: %s)" % (name, cases.get(name), sorted(cases)))
    drivers = [n for n in cases if "test-driver" in n and not n.startswith("sh -c")]
    if drivers or len(cases) != len(want) + 1:
        fail("JUnit lists more than the tests and the top command: %s" % sorted(cases))
    if "other processes" not in root.find("testsuite/system-out").text:
        fail("the processes left out of JUnit are not counted")
    # The HTML: Program is what run started, the summary links each finding,
    # the process list comes after the findings, collapsed, with a search box.
    html = os.path.join(work, "r.html")
    p = subprocess.run([ls, "analyze", "--html", html, os.path.join(work, "t")],
                       capture_output=True, env=env, timeout=300)
    page = open(html, encoding="utf-8").read()
    for f in rep["findings"]:
        if '<li><a href="#%s">' % f["id"] not in page:
            fail("the summary does not link to %s" % f["id"])
    if not 0 < page.index('id="findings"') < page.index('id="process-list"'):
        fail("the process list is not after the findings")
    # (open with 10 processes or fewer: these 9)
    if '<section id="process-list"><details open><summary><h2>Processes (9)' not in page or \
            'id="process-filter"' not in page or "<td>cycle-one</td>" not in page:
        fail("the process list is not collapsed and searchable, with tests")
    if "<th>Race checking</th>" not in page:
        fail("the HTML does not say how much race checking there was")
    print("ok")


if __name__ == "__main__":
    main()
