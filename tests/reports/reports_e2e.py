#!/usr/bin/env python3
"""End-to-end tests of lockscope's reports and gating options.

Usage: reports_e2e.py --lockscope BIN --src-dir DIR --build-dir DIR --work DIR
                      --cc CC --schema SARIF_SCHEMA CASE

Each CASE runs real programs (build/examples, build/tests/progs,
build/tests/reports) under `lockscope run` or `lockscope analyze` and checks
the outputs: JSON with the json module, SARIF against the official SARIF
2.1.0 schema (tests/reports/sarif-schema-2.1.0.json) with jsonschema, JUnit
with xml.etree, HTML in headless Chromium.  Prints "ok: CASE" and exits 0, or
prints FAIL lines and exits 1; exit 77 means skipped, with the reason printed.
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

A = None  # parsed arguments

PAYLOAD = "<img src=x onerror=alert(1)>"
PAYLOAD2 = '"><script>alert(2)</script>'
PAYLOAD3 = "';alert(3);'"
# In rp_xss.c's race lines, which the report quotes from the source.
PAYLOAD4 = "<svg/onload=alert(4)>"
PAYLOAD5 = "</pre><script>alert(5)</script>"


class Fail(Exception):
    pass


def fail(msg, out=None):
    if out:
        msg += "\n---- output ----\n" + out
    raise Fail(msg)


def check(cond, msg, out=None):
    if not cond:
        fail(msg, out)


def ex(name):
    return os.path.join(A.build_dir, "examples", name)


def prog(name):
    return os.path.join(A.build_dir, "tests", "progs", name)


def rprog(name):
    return os.path.join(A.build_dir, "tests", "reports", name)


class Run:
    def __init__(self, cp):
        self.status = cp.returncode
        self.out = cp.stdout.decode(errors="replace")
        self.err = cp.stderr.decode(errors="replace")

    def both(self):
        return self.out + self.err


def lockscope(*args, env=None, timeout=90, cwd=None):
    e = dict(os.environ)
    e.pop("LOCKSCOPE_SUPPRESSIONS", None)
    if env:
        e.update(env)
    try:
        cp = subprocess.run([A.lockscope] + list(args), capture_output=True, env=e,
                            timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        fail("timed out after %ss: lockscope %s" % (timeout, " ".join(args)))
    return Run(cp)


def expect_status(r, want, what):
    check(r.status == want, "%s: status %d, expected %d" % (what, r.status, want), r.both())


def load_json(path, r=None):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail("cannot read JSON '%s': %s" % (path, e), r.both() if r else None)


def work(case):
    d = os.path.join(A.work, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def ids_of(rep):
    return sorted(f["id"] for f in rep["findings"])


# ---------------------------------------------------------------- SARIF

VALIDATE = r"""
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
v = jsonschema.Draft4Validator(schema)
errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
for e in errs[:10]:
    print("%s: %s" % ("/".join(map(str, e.path)), e.message[:300]))
sys.exit(1 if errs else 0)
"""


def jsonschema_python():
    """An interpreter that has the jsonschema module: this one, or Debian's
    (python3-jsonschema, installed by the reports_need_jsonschema fixture)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import jsonschema"], capture_output=True).returncode == 0:
            return py
    fail("no python3 with the jsonschema module: install python3-jsonschema "
         "(the reports_need_jsonschema test does it)")


def sarif_errors(path):
    cp = subprocess.run([jsonschema_python(), "-c", VALIDATE, A.schema, path],
                        capture_output=True, timeout=120)
    if cp.returncode not in (0, 1):
        fail("the SARIF validator crashed", cp.stderr.decode(errors="replace"))
    return cp.stdout.decode(errors="replace") if cp.returncode else ""


def validate_sarif(path):
    errs = sarif_errors(path)
    check(not errs, "'%s' is not valid SARIF 2.1.0:\n%s" % (path, errs))


def case_sarif():
    w = work("sarif")
    # The validator must reject what is not SARIF, or it proves nothing.
    bad = os.path.join(w, "bad.sarif")
    with open(bad, "w") as f:
        json.dump({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                   "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}, f)
    check(sarif_errors(bad), "the schema check accepted an invalid SARIF file")

    sar, js = os.path.join(w, "r.sarif"), os.path.join(w, "r.json")
    r = lockscope("run", "--out", os.path.join(w, "t"), "--sarif", sar, "--json", js,
                  "--srcroot", A.src_dir, "--", ex("noodle_fork"))
    expect_status(r, 66, "noodle_fork")
    validate_sarif(sar)
    rep, doc = load_json(js), load_json(sar)
    run = doc["runs"][0]
    rules = [x["id"] for x in run["tool"]["driver"]["rules"]]
    check(rules == list(rep["summary"]["by_kind"].keys()),
          "rules %s, expected one per kind %s" % (rules, list(rep["summary"]["by_kind"])))
    check(run["originalUriBaseIds"]["SRCROOT"]["uri"] == "file://%s/" % A.src_dir.rstrip("/"),
          "SRCROOT is %r" % run["originalUriBaseIds"])
    check(len(run["results"]) == 1, "%d results" % len(run["results"]))
    res, fnd = run["results"][0], rep["findings"][0]
    check(res["ruleId"] == "lock-order-cycle" and rules[res["ruleIndex"]] == res["ruleId"],
          "ruleId/ruleIndex %s/%s" % (res["ruleId"], res["ruleIndex"]))
    check(res["partialFingerprints"]["lockscopeFindingId/v1"] == fnd["id"], "fingerprint")
    loc = res["locations"][0]["physicalLocation"]
    check(loc["artifactLocation"] == {"uri": "examples/noodle_fork.c", "uriBaseId": "SRCROOT"},
          "primary artifact %s" % loc["artifactLocation"])
    check(loc["region"]["startLine"] == fnd["summary"]["line"], "primary line")
    # The other side: the three other acquisition sites.
    sites = sorted({(e[k][0]["line"]) for e in fnd["edges"] for k in ("from_stack", "to_stack")})
    rel = sorted(x["physicalLocation"]["region"]["startLine"] for x in res["relatedLocations"])
    check(rel == [s for s in sites if s != fnd["summary"]["line"]],
          "related lines %s, sites %s" % (rel, sites))
    tf = res["codeFlows"][0]["threadFlows"]
    check(len(tf) == 2 and all(len(t["locations"]) == 2 for t in tf),
          "threadFlows: %s" % [len(t["locations"]) for t in tf])
    labels = {e["thread"]["label"] for e in fnd["edges"]}
    check({t["id"] for t in tf} == labels, "threadFlow ids %s, threads %s" %
          ({t["id"] for t in tf}, labels))

    # Without --srcroot, from a directory that holds no sources: absolute URIs.
    sar2 = os.path.join(w, "r2.sarif")
    r = lockscope("analyze", "--sarif", sar2, os.path.join(w, "t"), cwd=w)
    expect_status(r, 66, "analyze")
    validate_sarif(sar2)
    uri = load_json(sar2)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]
    check(uri["uri"].startswith("file:///") and "uriBaseId" not in uri, "uri %s" % uri)

    # A live deadlock (two findings, one with wait stacks) and a clean run.
    sar3 = os.path.join(w, "r3.sarif")
    r = lockscope("run", "--out", os.path.join(w, "t3"), "--sarif", sar3, "--", prog("dl_three"))
    expect_status(r, 66, "dl_three")
    validate_sarif(sar3)
    kinds = sorted(x["ruleId"] for x in load_json(sar3)["runs"][0]["results"])
    check(kinds == ["deadlock", "lock-order-cycle"], "dl_three results %s" % kinds)
    sar4 = os.path.join(w, "r4.sarif")
    r = lockscope("run", "--sarif", sar4, "--", ex("counter_locked"))
    expect_status(r, 0, "counter_locked")
    validate_sarif(sar4)
    check(load_json(sar4)["runs"][0]["results"] == [], "clean run has results")


# ---------------------------------------------------------------- JUnit

def parse_junit(path, r=None):
    try:
        return ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        fail("cannot parse JUnit '%s': %s" % (path, e), r.both() if r else None)


def case_junit():
    w = work("junit")
    xml, js = os.path.join(w, "r.xml"), os.path.join(w, "r.json")
    r = lockscope("run", "--out", os.path.join(w, "t"), "--junit", xml, "--json", js, "--",
                  prog("lo_fork_exec"), ex("noodle_fork"), PAYLOAD, "a&b", "<>")
    expect_status(r, 66, "lo_fork_exec")
    root, rep = parse_junit(xml, r), load_json(js)
    check(root.tag == "testsuites", "root <%s>" % root.tag)
    suites = root.findall("testsuite")
    check(len(suites) == 1, "%d testsuites" % len(suites))
    cases = suites[0].findall("testcase")
    # A testcase for the command run started and for every process that did
    # what a test does (a thread, a lock, a finding); the others are counted.
    allp = rep["processes"]
    procs = [p for p in allp if p["parent"] is None or p["test_like"]]
    check(len(procs) < len(allp), "no process left out: %s" % [p["command"] for p in allp])
    check(all(p["parent"] is None or p["threads"] > 1 or p["locks"] > 0 or
              any(s["process"] == p["index"] for f in rep["findings"] for s in f["seen_in"])
              for p in procs), "a listed process did nothing a test does")
    check(len(cases) == len(procs), "%d testcases for %d processes" % (len(cases), len(procs)))
    check(int(root.get("tests")) == len(procs) == int(suites[0].get("tests")), "tests=")
    check("%d other process" % (len(allp) - len(procs)) in suites[0].find("system-out").text,
          "the processes left out are not counted")
    with_findings = {s["process"] for f in rep["findings"] for s in f["seen_in"]}
    failed = [c for c in cases if c.find("failure") is not None]
    check(len(failed) == len(with_findings) == int(root.get("failures")),
          "%d failed testcases, %d processes with findings, failures=%s" %
          (len(failed), len(with_findings), root.get("failures")))
    for i, p in enumerate(procs):
        c = cases[i]
        # The same command line twice (a fork) gets a suffix: " (2)"; a
        # process inside a test is named after the test first.
        dup = sum(1 for q in procs[:i] if q["command"] == p["command"])
        want = p["command"] + (" (%d)" % (dup + 1) if dup else "")
        if p["test_process"] != p["index"]:
            want = p["test"] + " > " + want
        check(c.get("name") == want, "testcase %r for process %r" % (c.get("name"), want))
        check(c.get("classname", "").startswith("lockscope."), "classname %r" % c.get("classname"))
        mine = [f for f in rep["findings"] if any(s["process"] == p["index"]
                                                  for s in f["seen_in"])]
        fl = c.find("failure")
        check((fl is not None) == bool(mine), "process %d: failure %s, findings %d" %
              (i, fl is not None, len(mine)))
        for f in mine:
            check(f["id"] in fl.get("message") + fl.text, "failure lacks %s" % f["id"])
            check(fl.get("type") == f["kind"], "failure type %r" % fl.get("type"))
    check(any(PAYLOAD in c.get("name") for c in cases), "the hostile command line is lost")


# ---------------------------------------------------------- stable ids

def case_stable_ids():
    w = work("stable_ids")
    for name, exe in (("noodle_fork", ex("noodle_fork")), ("lo_three_cycle",
                                                           prog("lo_three_cycle"))):
        reps = []
        for i in range(2):
            js = os.path.join(w, "%s.%d.json" % (name, i))
            r = lockscope("run", "--out", os.path.join(w, "%s.%d" % (name, i)), "--json", js,
                          "--", exe)
            expect_status(r, 66, name)
            reps.append(load_json(js))
        a, b = ids_of(reps[0]), ids_of(reps[1])
        check(a and a == b, "%s: ids differ between runs: %s vs %s" % (name, a, b))
        check(reps[0]["processes"][0]["pid"] != reps[1]["processes"][0]["pid"],
              "both runs had the same pid: the test proves nothing")
        for i in a:
            check(re.fullmatch(r"LS-[0-9a-f]{16}", i), "id %r" % i)
        # Analyzing the same traces again gives the same ids too.
        js = os.path.join(w, "%s.again.json" % name)
        r = lockscope("analyze", "--json", js, os.path.join(w, "%s.0" % name))
        check(ids_of(load_json(js)) == a, "%s: analyze gives other ids" % name)


# -------------------------------------------------------- suppressions

def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def case_suppressions():
    w = work("suppressions")
    nf = ex("noodle_fork")
    # Not matching: the finding is shown with the line that would silence it.
    none = write(os.path.join(w, "none.supp"), "deadlock:no_such_function\n")
    r = lockscope("run", "--suppressions", none, "--", nf)
    expect_status(r, 66, "non-matching suppressions")
    m = re.search(r"Suppress it with this line in a --suppressions file: (\S+)\n=+\n", r.err)
    check(m, "no suppression line right after the finding", r.err)
    check("line 1: deadlock:no_such_function matched 0 times" in r.err,
          "the run does not list the rule that matched 0 times", r.err)
    # That very line silences it.
    own = write(os.path.join(w, "own.supp"), "# from the report\n%s\n" % m.group(1))
    js = os.path.join(w, "own.json")
    r = lockscope("run", "--suppressions", own, "--json", js, "--", nf)
    expect_status(r, 0, "the suggested suppression")
    rep = load_json(js, r)
    check(rep["findings"] == [], "a suppressed finding is shown")
    check(rep["summary"]["suppressed"] == 1, "suppressed count %s" % rep["summary"])
    s = rep["suppressions"]
    check(s["file"] == own and s["suppressed"] == 1 and
          s["by_kind"]["lock-order-cycle"] == 1, "suppressions %s" % s)
    check([(x["line"], x["text"], x["matched"]) for x in s["rules"]] ==
          [(2, m.group(1), 1)], "rules %s" % s["rules"])
    check("suppressions '%s': 1 finding suppressed" % own in r.err and
          "line 2: %s matched 1 time\n" % m.group(1) in r.err, "the run lists no matches", r.err)
    check("1 suppressed" in r.err, "the total does not count it", r.err)
    # Globs on a file name and on a lock; race: does not touch lock-order cycles.
    globs = write(os.path.join(w, "globs.supp"),
                  "race:*\nmisuse:*\ndeadlock:noodle_*.c\ndeadlock:fork_lock\n")
    js = os.path.join(w, "globs.json")
    r = lockscope("run", "--suppressions", globs, "--json", js, "--", nf)
    expect_status(r, 0, "glob suppressions")
    hits = [x["matched"] for x in load_json(js)["suppressions"]["rules"]]
    check(hits == [0, 0, 1, 0], "rule hits %s (first matching rule wins)" % hits)
    # From the environment, for run and analyze.
    r = lockscope("run", "--out", os.path.join(w, "t"), "--", nf,
                  env={"LOCKSCOPE_SUPPRESSIONS": own})
    expect_status(r, 0, "LOCKSCOPE_SUPPRESSIONS")
    r = lockscope("analyze", os.path.join(w, "t"))
    expect_status(r, 66, "analyze without suppressions")
    r = lockscope("analyze", os.path.join(w, "t"), env={"LOCKSCOPE_SUPPRESSIONS": own})
    expect_status(r, 0, "analyze with LOCKSCOPE_SUPPRESSIONS")
    # The flag wins over the environment.
    r = lockscope("analyze", "--suppressions", none, os.path.join(w, "t"),
                  env={"LOCKSCOPE_SUPPRESSIONS": own})
    expect_status(r, 66, "--suppressions over LOCKSCOPE_SUPPRESSIONS")
    # suppressions= in LOCKSCOPE_OPTIONS, as with the sanitizers: the shim
    # takes the key without a warning, the command applies the file.
    opts = {"LOCKSCOPE_OPTIONS": "verbosity=0:suppressions=%s" % own}
    t3 = os.path.join(w, "t3")
    r = lockscope("run", "--out", t3, "--", nf, env=opts)
    expect_status(r, 0, "suppressions= in LOCKSCOPE_OPTIONS")
    check("unknown option" not in r.err, "the shim does not know suppressions=", r.err)
    check("suppressions '%s': 1 finding suppressed" % own in r.err, "not applied", r.err)
    r = lockscope("analyze", t3, env=opts)
    expect_status(r, 0, "analyze with suppressions= in LOCKSCOPE_OPTIONS")
    r = lockscope("analyze", "--suppressions", none, t3, env=opts)
    expect_status(r, 66, "--suppressions over LOCKSCOPE_OPTIONS")
    r = lockscope("analyze", t3, env=dict(opts, LOCKSCOPE_SUPPRESSIONS=none))
    expect_status(r, 66, "LOCKSCOPE_SUPPRESSIONS over LOCKSCOPE_OPTIONS")
    bad = write(os.path.join(w, "bad_opt.supp"), "mutex:x\n")
    r = lockscope("run", "--", nf, env={"LOCKSCOPE_OPTIONS": "suppressions=" + bad})
    expect_status(r, 2, "a bad file named in LOCKSCOPE_OPTIONS")
    check("bad suppression at '%s:1'" % bad in r.err, "the bad line is not named", r.err)
    r = lockscope("run", "--", "true", env={"LOCKSCOPE_OPTIONS": "help=1"})
    check("suppressions" in r.err, "help=1 does not list suppressions", r.err)
    # A live deadlock and its cycle: deadlock: covers both.
    js = os.path.join(w, "dl.json")
    dl = write(os.path.join(w, "dl.supp"), "deadlock:ring_*\n")
    r = lockscope("run", "--suppressions", dl, "--json", js, "--", prog("dl_three"),
                  timeout=60)
    rep = load_json(js, r)
    check(rep["findings"] == [] and rep["summary"]["suppressed"] == 2,
          "dl_three: %s" % rep["summary"], r.err)


def case_suppressions_race():
    w = work("suppressions_race")
    js = os.path.join(w, "plain.json")
    r = lockscope("run", "--json", js, "--", ex("counter_race"))
    rep = load_json(js, r)
    races = [f for f in rep["findings"] if f["kind"] == "data-race"]
    if not races:
        why = [p.get("races", {}).get("why_not") for p in rep["processes"]]
        if any(why):
            print("SKIP: races were not checked on this machine: %s" % why)
            sys.exit(77)
        fail("the seed's counter race was not found", r.err)
    # The site (the accessing function) and the variable.
    check(all(re.fullmatch(r"race:\w+&n", f["suppression"]) for f in races),
          "suggested lines %s" % [f["suppression"] for f in races])
    supp = write(os.path.join(w, "race.supp"), "deadlock:n\nrace:n\n")
    js = os.path.join(w, "supp.json")
    r = lockscope("run", "--suppressions", supp, "--json", js, "--", ex("counter_race"))
    rep = load_json(js, r)
    left = [f for f in rep["findings"] if f["kind"] == "data-race"]
    rules = [x["matched"] for x in rep["suppressions"]["rules"]]
    check(not left and rules[0] == 0 and rules[1] >= 1 and
          rep["suppressions"]["by_kind"]["data-race"] == rules[1],
          "race:n left %d races; rules %s" % (len(left), rules), r.err)


def case_suppressions_bad():
    w = work("suppressions_bad")
    marker = os.path.join(w, "ran")
    sh = ["sh", "-c", "touch '%s'" % marker]
    bad = write(os.path.join(w, "bad.supp"), "# ok\ndeadlock:eat1\n\nthis is wrong\n")
    r = lockscope("run", "--suppressions", bad, "--", *sh)
    expect_status(r, 2, "malformed suppressions")
    check("lockscope: error: bad suppression at '%s:4'" % bad in r.err, "no file:line", r.err)
    # A bad file is not a usage error: one line, no usage (docs/reports.md).
    check(len(r.err.splitlines()) == 1 and "usage:" not in r.err,
          "more than the one line of the error", r.err)
    check(not os.path.exists(marker), "the program ran despite a bad suppressions file")
    r = lockscope("run", "--", *sh, env={"LOCKSCOPE_SUPPRESSIONS": bad})
    expect_status(r, 2, "malformed LOCKSCOPE_SUPPRESSIONS")
    check("'%s:4'" % bad in r.err, "no file:line from the environment", r.err)
    check(not os.path.exists(marker), "the program ran despite a bad LOCKSCOPE_SUPPRESSIONS")
    typ = write(os.path.join(w, "type.supp"), "mutex:foo\n")
    r = lockscope("analyze", "--suppressions", typ, w)
    expect_status(r, 2, "unknown type")
    check("'%s:1': unknown type (expected race, deadlock or misuse): 'mutex'" % typ in r.err,
          "unknown type message", r.err)
    r = lockscope("run", "--suppressions", os.path.join(w, "missing.supp"), "--", "true")
    expect_status(r, 2, "missing suppressions")
    check("cannot open suppressions" in r.err, "missing file message", r.err)


# ------------------------------------------------------------- baseline

def case_baseline():
    w = work("baseline")
    nf = ex("noodle_fork")
    old = os.path.join(w, "old.json")
    r = lockscope("run", "--json", old, "--", nf)
    expect_status(r, 66, "first run")
    # Same program: the finding is known and does not fail the run.
    js, sar = os.path.join(w, "new.json"), os.path.join(w, "new.sarif")
    r = lockscope("run", "--baseline", old, "--json", js, "--sarif", sar, "--", nf)
    expect_status(r, 0, "known finding")
    rep = load_json(js, r)
    check(len(rep["findings"]) == 1, "known findings are still shown")
    f = rep["findings"][0]
    check(f["baseline"] == "known" and f["fails"] is False, "finding %s/%s" %
          (f["baseline"], f["fails"]))
    check(rep["baseline"] == {"file": old, "new": 0, "known": 1, "gone": 0},
          "baseline %s" % rep["baseline"])
    check("Known: in the baseline" in r.err and "0 new, 1 known, 0 gone" in r.err,
          "text report", r.err)
    check(load_json(sar)["runs"][0]["results"][0]["baselineState"] == "unchanged", "SARIF state")
    # A tree with one known and one new cycle: only the new one fails.
    js = os.path.join(w, "tree.json")
    r = lockscope("run", "--baseline", old, "--json", js, "--", prog("lo_fork_exec"), nf)
    expect_status(r, 66, "new finding")
    states = sorted((f["baseline"], f["fails"]) for f in load_json(js)["findings"])
    check(states == [("known", False), ("new", True)], "states %s" % states)
    # A baseline of another program: everything is new, its finding is gone.
    other = os.path.join(w, "other.json")
    lockscope("run", "--json", other, "--", prog("lo_three_cycle"))
    js = os.path.join(w, "vs_other.json")
    r = lockscope("run", "--baseline", other, "--json", js, "--", nf)
    expect_status(r, 66, "baseline of another program")
    check(load_json(js)["baseline"]["gone"] == 1, "gone count")
    # Something that is not a lockscope report.
    for text, msg in (("not json", "not a lockscope JSON report"),
                      ('{"tool":"lockscope","findings":[', "invalid JSON at offset"),
                      ('{"version":"2.1.0","runs":[]}', "not a lockscope JSON report")):
        bad = write(os.path.join(w, "bad.json"), text)
        r = lockscope("run", "--baseline", bad, "--", "true")
        expect_status(r, 2, "bad baseline %r" % text)
        check("cannot use baseline '%s'" % bad in r.err and msg in r.err, "message", r.err)
        check(len(r.err.splitlines()) == 1 and "usage:" not in r.err,
              "more than the one line of the error", r.err)
    r = lockscope("analyze", "--baseline", os.path.join(w, "none.json"), w)
    expect_status(r, 2, "missing baseline")


# -------------------------------------------------------------- fail-on

def case_fail_on():
    w = work("fail_on")
    t = os.path.join(w, "t")
    r = lockscope("run", "--out", t, "--fail-on", "deadlock", "--", ex("noodle_fork"))
    expect_status(r, 0, "--fail-on deadlock, a lock-order cycle found")
    check("does not fail the run: --fail-on does not include lock-order-cycle" in r.err,
          "text says why it does not fail", r.err)
    for kinds, want in (("lock-order-cycle", 66), ("deadlock,lock-order-cycle", 66),
                        ("all", 66), ("none", 0), ("misuse,stall", 0)):
        r = lockscope("analyze", "--fail-on", kinds, t)
        expect_status(r, want, "--fail-on %s" % kinds)
    js = os.path.join(w, "r.json")
    r = lockscope("analyze", "--fail-on", "stall", "--exitcode", "9", "--json", js, t)
    expect_status(r, 0, "--fail-on stall")
    rep = load_json(js)
    check(rep["fail_on"] == ["stall"] and rep["summary"]["failing"] == 0 and
          rep["findings"][0]["fails"] is False, "JSON fail_on %s" % rep["fail_on"])
    r = lockscope("analyze", "--fail-on", "lock-order-cycle", "--exitcode", "9", t)
    expect_status(r, 9, "--exitcode with --fail-on")
    for bad, msg in (("bogus", "unknown finding kind 'bogus'"),
                     ("deadlock,,bogus2", "unknown finding kind 'bogus2'"),
                     ("", "--fail-on needs a comma-separated list"),
                     ("none,deadlock", "'none' cannot be combined")):
        r = lockscope("run", "--fail-on", bad, "--", "true")
        expect_status(r, 2, "--fail-on %r" % bad)
        first = r.err.splitlines()[0] if r.err else ""
        check(msg in first and "usage: lockscope run" in r.err,
              "--fail-on %r: one-line error and the usage" % bad, r.err)


# -------------------------------------------------------------- options

def case_options():
    w = work("options")
    for args, msg in ((["run", "--json"], "option '--json' needs an argument"),
                      (["analyze", w, "--sarif"], "option '--sarif' needs an argument"),
                      (["run", "--bogus", "--", "true"], "unknown option '--bogus'"),
                      (["analyze", "--frob", w], "unknown option '--frob'"),
                      (["run", "--exitcode", "x", "--", "true"], "--exitcode needs a number")):
        r = lockscope(*args)
        expect_status(r, 2, " ".join(args))
        lines = r.err.splitlines()
        check(lines and lines[0].startswith("lockscope: error: ") and msg in lines[0],
              "%s: first line %r" % (args, lines[:1]), r.err)
        check("usage: lockscope run" in r.err, "%s: no usage" % args, r.err)
    # The default HTML report, and --no-html.
    d = os.path.join(w, "t")
    r = lockscope("run", "--out", d, "--", ex("noodle_fork"))
    expect_status(r, 66, "run")
    page = os.path.join(d, "report.html")
    check(os.path.exists(page), "no report.html in the trace directory")
    last = r.err.rstrip().splitlines()[-1]
    check(last.startswith("lockscope: 1 finding (1 lock-order-cycle), 0 suppressed; ") and
          last.endswith("; traces in '%s'; HTML report in '%s'" % (d, page)),
          "the last line does not say where the report went: %r" % last, r.err)
    d2 = os.path.join(w, "t2")
    r = lockscope("run", "--no-html", "--out", d2, "--", ex("noodle_fork"))
    check(not os.path.exists(os.path.join(d2, "report.html")), "--no-html wrote a page")
    check("HTML report" not in r.err, "--no-html still prints a path", r.err)
    # A report file that cannot be written.
    r = lockscope("run", "--html", os.path.join(w, "no", "such", "dir.html"), "--", "true")
    expect_status(r, 2, "unwritable --html")
    check("cannot write report" in r.err, "message", r.err)
    # --help lists the new options.
    r = lockscope("--help")
    for opt in ("--html FILE", "--sarif FILE", "--junit FILE", "--suppressions FILE",
                "--baseline OLD.json", "--fail-on KINDS", "--no-html"):
        check(opt in r.out, "--help lacks %s" % opt, r.out)


# -------------------------------------------------------- multi process

class Page(html.parser.HTMLParser):
    """Elements and attributes of an HTML document, as a browser-free check."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag=None, **attrs):
        return [a for t, a in self.tags
                if (tag is None or t == tag) and all(a.get(k) == v for k, v in attrs.items())]


def article(html_text, fid):
    m = re.search(r'<article class="finding" id="%s".*?</article>' % re.escape(fid), html_text,
                  re.S)
    check(m, "no article for %s" % fid)
    return m.group(0)


def case_multi_process():
    w = work("multi_process")
    mk = write(os.path.join(w, "Makefile"),
               "check:\n\t-%s\n\t-%s\n\t-%s\n" % (ex("noodle_fork"), prog("lo_three_cycle"),
                                               ex("counter_locked")))
    out = {k: os.path.join(w, "r." + k) for k in ("json", "html", "sarif", "xml")}
    r = lockscope("run", "--out", os.path.join(w, "t"), "--json", out["json"], "--html",
                  out["html"], "--sarif", out["sarif"], "--junit", out["xml"], "--",
                  "make", "-s", "-f", mk, "check", timeout=120)
    expect_status(r, 66, "make check")
    rep = load_json(out["json"], r)
    cmds = [p["command"] for p in rep["processes"]]
    check(any(c.startswith("make") for c in cmds), "make itself is not traced: %s" % cmds)
    found = {rep["processes"][f["process"]]["command"]: f for f in rep["findings"]}
    check(set(found) == {ex("noodle_fork"), prog("lo_three_cycle")},
          "findings come from %s" % sorted(found), r.err)
    with open(out["html"], encoding="utf-8") as fh:
        page = fh.read()
    sar = load_json(out["sarif"])
    results = {x["properties"]["id"]: x for x in sar["runs"][0]["results"]}
    junit = parse_junit(out["xml"])
    for cmd, f in found.items():
        pid = rep["processes"][f["process"]]["pid"]
        check("In process %d: %s" % (pid, cmd) in r.err, "text: no 'In process' for %s" % cmd,
              r.err)
        check("in process %d: <code>%s</code>" % (pid, cmd) in article(page, f["id"]),
              "HTML: finding %s does not name its process" % f["id"])
        res = results[f["id"]]
        check("In process %d: %s" % (pid, cmd) in res["message"]["text"] and
              res["properties"]["command"] == cmd, "SARIF: result does not name its process")
        tc = [c for c in junit.iter("testcase") if c.get("name") == cmd]
        check(len(tc) == 1 and tc[0].find("failure") is not None and
              f["id"] in tc[0].find("failure").text, "JUnit: no failing testcase for %s" % cmd)
    validate_sarif_if_possible(out["sarif"])

    # The same under ctest, which forks and execs each test.
    proj = os.path.join(w, "ctest")
    os.makedirs(proj)
    write(os.path.join(proj, "CMakeLists.txt"),
          "cmake_minimum_required(VERSION 3.13)\nproject(p NONE)\nenable_testing()\n"
          "add_test(NAME noodle COMMAND %s)\nadd_test(NAME three COMMAND %s)\n" %
          (ex("noodle_fork"), prog("lo_three_cycle")))
    cp = subprocess.run(["cmake", "-S", proj, "-B", os.path.join(proj, "b")], capture_output=True)
    check(cp.returncode == 0, "cannot configure the ctest project", cp.stderr.decode())
    js = os.path.join(w, "ctest.json")
    r = lockscope("run", "--no-html", "--json", js, "--", "ctest", "--test-dir",
                  os.path.join(proj, "b"), timeout=120)
    expect_status(r, 66, "ctest")
    rep = load_json(js, r)
    got = sorted(rep["processes"][f["process"]]["command"] for f in rep["findings"])
    check(got == sorted([ex("noodle_fork"), prog("lo_three_cycle")]),
          "ctest: findings from %s" % got, r.err)


def validate_sarif_if_possible(path):
    try:
        jsonschema_python()
    except Fail:
        return  # reports_e2e_sarif checks the schema and fails loudly without it
    validate_sarif(path)


# ------------------------------------------------ untraced (static) programs

def case_untraced_static():
    w = work("untraced_static")
    st = rprog("rp_static")
    js, xml = os.path.join(w, "top.json"), os.path.join(w, "top.xml")
    r = lockscope("run", "--out", os.path.join(w, "t1"), "--json", js, "--junit", xml, "--", st)
    expect_status(r, 0, "a static program")
    check("static program ran" in r.out, "the static program did not run", r.both())
    note = "'%s' is statically linked: the shim cannot be loaded into it" % st
    check("lockscope: note: " + note in r.err, "no note for the static program", r.err)
    rep = load_json(js, r)
    check(rep["processes"] == [] and any(note in n for n in rep["run"]["notes"]),
          "JSON run.notes %s" % rep["run"]["notes"])
    sk = parse_junit(xml).find("testsuite/testcase/skipped")
    check(sk is not None and "statically linked" in sk.get("message"), "JUnit: not skipped")
    # A traced process that exec's a static program: noticed from the traces.
    js, page = os.path.join(w, "tree.json"), os.path.join(w, "tree.html")
    r = lockscope("run", "--out", os.path.join(w, "t2"), "--json", js, "--html", page, "--",
                  prog("lo_fork_exec"), st)
    expect_status(r, 66, "lo_fork_exec static")
    rep = load_json(js, r)
    notes = rep["run"]["notes"]
    check(any(("'%s' wrote no trace" % st) in n and "exec'd by process" in n for n in notes),
          "no note naming the untraced program: %s" % notes, r.err)
    execed = [p for p in rep["processes"] if any("no trace" in n for n in p["notes"])]
    check(len(execed) == 1 and execed[0]["execed"], "process notes %s" %
          [p["notes"] for p in rep["processes"]])
    with open(page, encoding="utf-8") as fh:
        check("&#39;%s&#39; wrote no trace" % st in fh.read(), "HTML lacks the note")
    # A dynamically linked exec is followed: no such note.
    js = os.path.join(w, "dyn.json")
    r = lockscope("run", "--json", js, "--", prog("lo_fork_exec"), ex("noodle_fork"))
    check(not any("no trace" in n for n in load_json(js, r)["run"]["notes"]),
          "a note for a traced exec")


# ---------------------------------------------------------- text report

def case_text_report():
    w = work("text_report")
    t = os.path.join(w, "t")
    js = os.path.join(w, "r.json")
    r = lockscope("run", "--out", t, "--json", js, "--", ex("noodle_fork"))
    expect_status(r, 66, "run")
    fid = load_json(js)["findings"][0]["id"]
    block = re.search(r"==================\nWARNING: lockscope: .*?\n==================\n", r.err,
                      re.S)
    check(block, "no finding block", r.err)
    b = block.group(0)
    check("SUMMARY: lockscope: lock-order-inversion" in b and "[%s]" % fid in b, "SUMMARY line")
    check(re.search(r"\[%s\]\n  Suppress it with this line in a --suppressions file: "
                    r"deadlock[.:]\S+\n=+\n$" % fid, b), "the suppression line is not last", b)
    r2 = lockscope("analyze", t)
    expect_status(r2, 66, "analyze")
    check("[%s]" % fid in r2.out and "Suppress it with this line" in r2.out,
          "analyze prints the text report on stdout", r2.both())


# ------------------------------------------------------------- browser

CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium(extra, url, timeout=120):
    exe = shutil.which("chromium")
    if not exe:
        fail("chromium is not installed: the reports_need_chromium test installs it with "
             "apt-get (tests/reports/need_tools.sh); run it, or 'apt-get install chromium'")
    with tempfile.TemporaryDirectory(prefix="lockscope-chromium.") as prof:
        cmd = [exe] + CHROME_FLAGS + ["--user-data-dir=" + prof] + extra + [url]
        try:
            cp = subprocess.run(cmd, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            fail("chromium timed out: %s" % " ".join(cmd))
    if cp.returncode != 0:
        fail("chromium failed (%d): %s" % (cp.returncode, " ".join(cmd)),
             cp.stderr.decode(errors="replace")[-3000:])
    return cp.stdout.decode(errors="replace")


def dump_dom(path):
    return chromium(["--virtual-time-budget=5000", "--dump-dom"], "file://" + path)


# Collects what a person sees after the page loaded, and tries the filter.
HARNESS = r"""<script>
window.addEventListener('load', function () {
  var o = {};
  o.title = document.title;
  o.h1 = document.querySelector('h1').innerText;
  var c = document.getElementById('finding-count');
  o.count = c ? c.innerText : null;
  o.visible = document.body.innerText;
  o.articles = [].map.call(document.querySelectorAll('article.finding'), function (a) {
    return {id: a.id, kind: a.getAttribute('data-kind'), shown: a.offsetParent !== null,
            h3: a.querySelector('h3').innerText};
  });
  o.svgs = [].map.call(document.querySelectorAll('figure.graph svg'), function (s) {
    var r = s.getBoundingClientRect();
    return {nodes: [].map.call(s.querySelectorAll('g.node > text'), function (t) {
              return t.textContent; }),
            titles: [].map.call(s.querySelectorAll('g.node > title'), function (t) {
              return t.textContent; }),
            edges: s.querySelectorAll('g.edge path').length, w: r.width, h: r.height};
  });
  o.images = document.images.length;
  o.scripts = document.scripts.length;
  var f = document.getElementById('filters');
  o.filters = f ? f.offsetParent !== null : false;
  var box = document.querySelector('#filters input[data-kind]');
  if (box) {
    box.click();
    o.unchecked = {shown: document.getElementById('shown').innerText,
                   hidden: [].every.call(document.querySelectorAll('article.finding'),
                                         function (a) { return a.hidden; })};
    box.click();
    o.rechecked = document.getElementById('shown').innerText;
  }
  document.documentElement.setAttribute('data-harness', JSON.stringify(o));
});
</script>"""

ALERT_HOOK = ("<script>window.alert = function (m) { document.documentElement.setAttribute("
              "'data-alert', String(m)); };</script>")


def harness_copy(page, out):
    """The page without its CSP (so the test's own scripts may run, and so
    that only escaping stands between the program's strings and the DOM),
    with an alert() recorder first and the harness last."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', "", text)
    check(n == 1, "the page has no Content-Security-Policy")
    text = text.replace("<head>", "<head>" + ALERT_HOOK, 1)
    text = text.replace("</body>", HARNESS + "</body>", 1)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return out


def harness_result(dom):
    doc = Page(dom)
    root = doc.find("html")
    check(root, "no <html> in the dumped DOM", dom[:2000])
    data = root[0].get("data-harness")
    check(data, "the harness did not run (no data-harness)", dom[:2000])
    return json.loads(data), root[0], doc


def case_html_noodle_fork():
    w = work("html_noodle_fork")
    t = os.path.join(w, "t")
    js = os.path.join(w, "r.json")
    r = lockscope("run", "--out", t, "--json", js, "--", ex("noodle_fork"))
    expect_status(r, 66, "noodle_fork")
    page = os.path.join(t, "report.html")
    last = r.err.rstrip().splitlines()[-1]
    check("; HTML report in '%s'; JSON report in '%s'" % (page, js) in last,
          "paths not on the last line: %r" % last, r.err)
    rep = load_json(js)
    fid = rep["findings"][0]["id"]

    # As written (with its CSP): the page's own script runs, nothing else.
    doc = Page(dump_dom(page))
    root = doc.find("html")[0]
    check(root.get("data-ready") == "1", "the page's script did not run under its own CSP")

    # What a person sees.
    o, _, _ = harness_result(dump_dom(harness_copy(page, os.path.join(w, "harness.html"))))
    check(o["title"].startswith("lockscope: 1 finding"), "title %r" % o["title"])
    check(o["h1"] == "lockscope report", "h1 %r" % o["h1"])
    check(o["count"] == "1", "finding count %r" % o["count"])
    check(len(o["articles"]) == 1 and o["articles"][0]["id"] == fid and o["articles"][0]["shown"],
          "articles %s" % o["articles"])
    check(o["articles"][0]["h3"].startswith("#lock-order-inversion (potential deadlock)"),
          "finding title %r" % o["articles"][0]["h3"])
    check(len(o["svgs"]) == 1, "%d drawings" % len(o["svgs"]))
    svg = o["svgs"][0]
    check(sorted(svg["nodes"]) == ["fork_lock", "noodle_lock"] and svg["edges"] == 2 and
          svg["w"] > 200 and svg["h"] > 60, "drawing %s" % svg)
    # What was checked, as the analysis of this trace ran it (not a fixed
    # text: C11 threads are followed like pthreads).
    check(re.search(r"lock-order cycles \(potential deadlocks\): 2 locks and \d+ lock-order "
                    r"edges searched: 1 cycle", o["visible"]),
          "the checked list does not say what the lock-order check searched")
    check("C11 threads (mtx_*" not in o["visible"], "the page says C11 threads are not checked")
    for text in ("Summary", "Findings by kind", "Not checked, not recorded", "timeline",
                 "noodle_lock", "fork_lock", "eat1", "noodle_fork.c:21",
                 "deadlock.lock-order-cycle:eat1&fork_lock",
                 "Showing 1 of 1 finding"):
        check(text in o["visible"], "the page does not show %r" % text)
    # Source lines around each site, the site's line shown.
    check("pthread_mutex_lock(&fork_lock); /* @eat1_fork */" in o["visible"],
          "no source line shown")
    check(o["filters"], "the kind filter is not shown")
    check(o["unchecked"] == {"shown": "Showing 0 of 1 finding", "hidden": True} and
          o["rechecked"] == "Showing 1 of 1 finding", "filtering %s / %s" %
          (o.get("unchecked"), o.get("rechecked")))
    check(o["images"] == 0, "images in the page")

    # A picture for people.
    png = os.path.join(A.build_dir, "tests", "reports", "noodle_fork_report.png")
    if os.path.exists(png):
        os.remove(png)
    chromium(["--window-size=1280,2200", "--screenshot=" + png], "file://" + page)
    with open(png, "rb") as f:
        head = f.read(8)
    check(head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(png) > 20000, "bad screenshot")
    print("screenshot of the noodle_fork report: %s" % png)


def build_xss(w):
    """rp_xss.c compiled under a directory and a file name that are HTML."""
    d = os.path.join(w, PAYLOAD)
    os.makedirs(d, exist_ok=True)
    src = os.path.join(d, PAYLOAD + ".c")
    shutil.copy(os.path.join(A.src_dir, "tests", "reports", "progs", "rp_xss.c"), src)
    exe = os.path.join(w, "xss_prog")
    cp = subprocess.run([A.cc, "-g", "-O1", "-pthread", "-o", exe, src], capture_output=True)
    check(cp.returncode == 0, "cannot compile %s" % src, cp.stderr.decode(errors="replace"))
    return exe, src


def case_html_xss():
    w = work("html_xss")
    exe, src = build_xss(w)
    t = os.path.join(w, "t")
    out = {k: os.path.join(w, "r." + k) for k in ("json", "sarif", "xml")}
    r = lockscope("run", "--out", t, "--json", out["json"], "--sarif", out["sarif"], "--junit",
                  out["xml"], "--", exe, PAYLOAD, PAYLOAD2, PAYLOAD3)
    expect_status(r, 66, "the hostile program")
    rep = load_json(out["json"], r)
    # The hostile strings really are in the findings, or this test proves nothing.
    raw = json.dumps(rep)
    check(PAYLOAD in rep["processes"][0]["command"] and PAYLOAD2 in rep["processes"][0]["command"],
          "the command line lacks the payloads")
    check(src in raw, "no frame has the hostile source path")
    check(any(PAYLOAD in l["label"] for f in rep["findings"] for l in f["locks"]),
          "no lock label has the hostile file name")
    races = [f for f in rep["findings"] if f["kind"] == "data-race"]
    check(races and all(f["variable"]["name"] == "xss_hits" for f in races),
          "no race on xss_hits: %s" % [f["kind"] for f in rep["findings"]])
    check(all(a["stack"] and a["stack"][0]["file"] == src for f in races for a in f["accesses"]),
          "the race's accesses are not in the hostile source file")
    page = os.path.join(t, "report.html")

    # As written, with its CSP.
    dom = dump_dom(page)
    doc = Page(dom)
    check(doc.find("html")[0].get("data-ready") == "1", "the page's own script did not run")
    handlers = [(t, k) for t, a in doc.tags for k in a if k.startswith("on")]
    check(not doc.find("img") and not handlers and len(doc.find("script")) == 1,
          "injected markup: img=%d script=%d handlers=%s" %
          (len(doc.find("img")), len(doc.find("script")), handlers))
    check(not doc.find(id="xs") and not doc.find(id="xs2"), "a thread name became markup")

    # Without the CSP: escaping alone must keep every payload text.
    o, root, hdoc = harness_result(dump_dom(harness_copy(page, os.path.join(w, "harness.html"))))
    check(root.get("data-alert") is None, "an injected script ran: alert(%s)" %
          root.get("data-alert"))
    check(root.get("data-ready") == "1", "the page's own script did not run in the copy")
    check(o["images"] == 0 and o["scripts"] == 3, "DOM has %d images, %d scripts" %
          (o["images"], o["scripts"]))
    check(len(o["articles"]) == 1 + len(races) and all(a["shown"] for a in o["articles"]),
          "the findings are not all visible: %s" % o["articles"])
    check({f["id"] for f in races} <= {a["id"] for a in o["articles"]},
          "no article for a race")
    for p in (PAYLOAD, PAYLOAD2, PAYLOAD3, PAYLOAD4, PAYLOAD5, src):
        check(p in o["visible"], "the page does not show %r as text" % p)
    # Written as text in every place of the file, never as markup: the raw
    # page holds no payload unescaped.
    with open(page, encoding="utf-8") as fh:
        raw_page = fh.read()
    for p in (PAYLOAD, PAYLOAD2, PAYLOAD4, PAYLOAD5, os.path.basename(src)):
        check(p not in raw_page, "the page holds %r unescaped" % p)
    check(any(PAYLOAD in n for s in o["svgs"] for n in s["titles"]) and
          any(n.startswith("mutex initialized at") and "alert(1)>" in n
              for s in o["svgs"] for n in s["nodes"]),
          "the drawing does not show the hostile lock label as text: %s" % o["svgs"])
    # The machine-readable reports stay well-formed.
    junit = parse_junit(out["xml"])
    check(any(PAYLOAD in (c.get("name") or "") for c in junit.iter("testcase")),
          "JUnit lost the command line")
    validate_sarif_if_possible(out["sarif"])


def case_html_thread_name():
    w = work("html_thread_name")
    exe, _ = build_xss(w)
    t = os.path.join(w, "t")
    js = os.path.join(w, "r.json")
    r = lockscope("run", "--out", t, "--json", js, "--", exe)
    expect_status(r, 66, "the hostile program")
    rep = load_json(js, r)
    names = set()
    for f in rep["findings"]:
        for e in f["edges"]:
            names.add(e["thread"]["name"])
    names.discard(None)
    check(names, "no thread name was recorded (pthread_setname_np)")
    want = {"<i id=xs>1</i>", "<b id=xs2>2</b>"}
    check(names <= want | {"<img src=x onerror=alert(1)>"}, "thread names %s" % names)
    page = os.path.join(t, "report.html")
    o, root, doc = harness_result(dump_dom(harness_copy(page, os.path.join(w, "h.html"))))
    check(not doc.find(id="xs") and not doc.find(id="xs2") and o["images"] == 0,
          "a thread name became markup")
    check(root.get("data-alert") is None, "an injected script ran")
    for n in names:
        check(n in o["visible"], "the page does not show the thread name %r" % n)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockscope", required=True)
    ap.add_argument("--src-dir", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--schema", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    A = ap.parse_args()
    A.src_dir = os.path.realpath(A.src_dir)
    os.makedirs(A.work, exist_ok=True)
    try:
        CASES[A.case]()
    except Fail as e:
        print("FAIL: %s: %s" % (A.case, e))
        sys.exit(1)
    print("ok: %s" % A.case)


if __name__ == "__main__":
    main()
