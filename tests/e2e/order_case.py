#!/usr/bin/env python3
"""Lock-order, id and suppression checks on the reports of one program.

Usage: order_case.py --lockscope BIN [checks...] -- PROGRAM [ARGS...]

The program is run once under `lockscope run` (JSON, SARIF, JUnit and HTML
written); every check is on those reports unless it says otherwise.

  --status N          lockscope's exit status
  --lockscope-arg A   pass A to `lockscope run` (repeatable)
  --count K=N         exactly N findings of kind K (K=* for all)
  --locks K=a,b       every finding of kind K has exactly these locks (a set)
  --cycle-len K=N     every finding of kind K has N locks and N edges
  --sites K=F:@m,...  the union of frame 0 of the from/to stacks of the
                      findings of kind K is exactly the marked lines of F
  --severity K=S      every finding of kind K has severity S
  --fails K=0|1       every finding of kind K fails the run (or not)
  --sarif-level K=L   every SARIF result of rule K has level L
  --junit-has S       the JUnit XML contains S
  --html-has S        the HTML report contains S
  --stderr-has S      lockscope's stderr (the text report) contains S
  --stderr-lacks S    ... does not
  --scope C=STATE[:TEXT]  process 0's scope entry C has STATE and TEXT
  --checked-has S     a line of the JSON's "checked" list contains S
  --not-checked-lacks S  no line of its "not_checked" list contains S
  --ids-distinct N    the findings have N distinct ids
  --same-ids          a second run gives the same set of ids
  --other PROG        run PROG too (no arguments): none of its ids is one of
                      this program's (repeatable)
  --suppress-each     for each finding, its suggested suppression line,
                      given to `lockscope analyze` on the same traces,
                      suppresses it and no other finding
  --no-main-suppression  no suggested suppression names `main`
  --repeat N          run N times; every run must pass the checks
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_case import Failed, fail, marker_lines  # noqa: E402


def kv(spec):
    k, _, v = spec.partition("=")
    return k, v


def of_kind(finds, k):
    return [f for f in finds if k == "*" or f["kind"] == k]


def run(a, prog, tmp, tag, extra=()):
    out = os.path.join(tmp, "traces-" + tag)
    files = {x: os.path.join(tmp, "%s.%s" % (tag, x)) for x in ("json", "sarif", "junit", "html")}
    argv = [a.lockscope, "run", "--out", out, "--json", files["json"], "--sarif",
            files["sarif"], "--junit", files["junit"], "--html", files["html"]]
    argv += list(a.lockscope_arg) + list(extra) + ["--"] + prog
    env = dict(os.environ)
    env["LOCKSCOPE_PROGRESS_DELAY"] = "1000000"
    r = subprocess.run(argv, capture_output=True, timeout=a.timeout, env=env)
    err = r.stderr.decode("utf-8", "replace")
    if not os.path.exists(files["json"]):
        fail("no JSON report (status %d)" % r.returncode, err)
    with open(files["json"], encoding="utf-8") as f:
        rep = json.load(f)
    return r.returncode, err, rep, files, out


def analyze(a, traces, tmp, tag, supp):
    sp = os.path.join(tmp, tag + ".supp")
    with open(sp, "w", encoding="utf-8") as f:
        f.write(supp + "\n")
    js = os.path.join(tmp, tag + ".json")
    r = subprocess.run([a.lockscope, "analyze", "--json", js, "--suppressions", sp, traces],
                       capture_output=True, timeout=a.timeout)
    err = r.stderr.decode("utf-8", "replace")
    if not os.path.exists(js):
        fail("analyze with %r wrote no JSON (status %d)" % (supp, r.returncode), err)
    with open(js, encoding="utf-8") as f:
        return json.load(f), err


def check(a, prog, tmp, tag):
    status, err, rep, files, traces = run(a, prog, tmp, tag)
    finds = rep["findings"]
    if a.status is not None and status != a.status:
        fail("status %d, expected %d" % (status, a.status), err)
    for spec in a.count:
        k, n = kv(spec)
        got = len(of_kind(finds, k))
        if got != int(n):
            fail("%d findings of kind %s, expected %s: %s"
                 % (got, k, n, [(f["kind"], [l["label"] for l in f["locks"]]) for f in finds]),
                 err)
    for spec in a.locks:
        k, v = kv(spec)
        want = set(v.split(","))
        for f in of_kind(finds, k):
            got = set(l["name"] or l["label"] for l in f["locks"])
            if got != want:
                fail("%s finding on locks %s, expected %s" % (k, sorted(got), sorted(want)), err)
    for spec in a.cycle_len:
        k, n = kv(spec)
        for f in of_kind(finds, k):
            if len(f["locks"]) != int(n) or len(f["edges"]) != int(n):
                fail("%s finding with %d locks, %d edges; expected %s"
                     % (k, len(f["locks"]), len(f["edges"]), n), err)
    for spec in a.sites:
        k, v = kv(spec)
        fname, _, marks = v.partition(":")
        want = marker_lines(a.src_dir, fname, [m.lstrip("@") for m in marks.split(",")])
        got = set()
        for f in of_kind(finds, k):
            for e in f["edges"]:
                for st in (e["from_stack"], e["to_stack"]):
                    if not st:
                        fail("%s edge %s -> %s without a stack" % (k, e["from"], e["to"]), err)
                    if os.path.basename(st[0]["file"] or "") == fname:
                        got.add(st[0]["line"])
        if got != want:
            fail("%s sites at lines %s, expected %s" % (k, sorted(got), sorted(want)), err)
    for spec in a.severity:
        k, v = kv(spec)
        for f in of_kind(finds, k):
            if f["severity"] != v:
                fail("%s finding of severity %s, expected %s" % (k, f["severity"], v), err)
    for spec in a.fails:
        k, v = kv(spec)
        for f in of_kind(finds, k):
            if f["fails"] != (v == "1"):
                fail("%s finding fails=%s, expected %s" % (k, f["fails"], v), err)
    if a.sarif_level:
        with open(files["sarif"], encoding="utf-8") as f:
            sarif = json.load(f)
        results = [x for run_ in sarif["runs"] for x in run_["results"]]
        for spec in a.sarif_level:
            k, v = kv(spec)
            mine = [x for x in results if x["ruleId"] == k]
            if not mine:
                fail("no SARIF result of rule %s" % k, err)
            for x in mine:
                if x["level"] != v:
                    fail("SARIF %s result of level %s, expected %s" % (k, x["level"], v), err)
    for what, path, texts in (("JUnit", files["junit"], a.junit_has),
                              ("HTML", files["html"], a.html_has)):
        if texts:
            with open(path, encoding="utf-8") as f:
                body = f.read()
            for s in texts:
                if s not in body:
                    fail("the %s report lacks %r" % (what, s), err)
    for s in a.stderr_has:
        if s not in err:
            fail("stderr lacks %r" % s, err)
    for s in a.stderr_lacks:
        if s in err:
            fail("stderr has %r" % s, err)
    for spec in a.scope:
        c, _, rest = spec.partition("=")
        state, _, text = rest.partition(":")
        ent = [e for e in rep["processes"][0]["scope"] if e["check"] == c]
        if not ent or ent[0]["state"] != state or text not in ent[0]["detail"]:
            fail("scope %s is %s, expected %s with %r" % (c, ent, state, text), err)
    for t in a.checked_has:
        if not any(t in line for line in rep["checked"]):
            fail("no checked line has %r: %s" % (t, rep["checked"]), err)
    for t in a.not_checked_lacks:
        if any(t in line for line in rep["not_checked"]):
            fail("a not-checked line has %r: %s" % (t, rep["not_checked"]), err)
    ids = sorted(f["id"] for f in finds)
    if a.ids_distinct is not None and len(set(ids)) != a.ids_distinct:
        fail("%d distinct ids (%s), expected %d" % (len(set(ids)), ids, a.ids_distinct), err)
    for k, other in enumerate(a.other):
        _, err2, rep2, _, _ = run(a, [other], tmp, "%s-other%d" % (tag, k))
        oids = set(f["id"] for f in rep2["findings"])
        if not oids:
            fail("no finding in %s" % other, err2)
        if oids & set(ids):
            fail("ids %s also came out of %s" % (sorted(oids & set(ids)), other), err)
    if a.same_ids:
        _, err2, rep2, _, _ = run(a, prog, tmp, tag + "-again")
        ids2 = sorted(f["id"] for f in rep2["findings"])
        if ids2 != ids:
            fail("a second run gave ids %s, the first %s" % (ids2, ids), err2)
    for f in finds:
        s = f["suppression"]
        if a.no_main_suppression and s and s.split(":", 1)[1].split("&")[0] == "main":
            fail("suggested suppression %r names main" % s, err)
    if a.suppress_each:
        for i, f in enumerate(finds):
            s = f["suppression"]
            if not s:
                fail("finding %s has no suggested suppression" % f["id"], err)
            rep2, err2 = analyze(a, traces, tmp, "%s-supp%d" % (tag, i), s)
            left = sorted(g["id"] for g in rep2["findings"])
            want = sorted(g["id"] for g in finds if g["id"] != f["id"])
            if left != want:
                fail("suppression %r left %s, expected %s" % (s, left, want), err2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockscope", required=True)
    ap.add_argument("--src-dir", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--status", type=int)
    ap.add_argument("--lockscope-arg", action="append", default=[])
    for o in ("count", "locks", "cycle-len", "sites", "severity", "fails", "sarif-level",
              "junit-has", "html-has", "stderr-has", "stderr-lacks", "scope", "checked-has",
              "not-checked-lacks"):
        ap.add_argument("--" + o, action="append", default=[])
    ap.add_argument("--ids-distinct", type=int)
    ap.add_argument("--same-ids", action="store_true")
    ap.add_argument("--other", action="append", default=[])
    ap.add_argument("--suppress-each", action="store_true")
    ap.add_argument("--no-main-suppression", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("prog", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    prog = a.prog[1:] if a.prog and a.prog[0] == "--" else a.prog
    if not prog:
        ap.error("no program")
    try:
        with tempfile.TemporaryDirectory(prefix="order-case-") as tmp:
            for i in range(a.repeat):
                check(a, prog, tmp, "run%d" % i)
    except Failed as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as e:
        print("FAIL: timed out: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
