#!/usr/bin/env python3
"""Runs a program under `lockscope run --timeline FILE --json J`, checks the
timeline file against the rules of the Trace Event Format (what
chrome://tracing and the Perfetto UI need to open it), loads it back into
slices per thread and checks those, and how they agree with the JSON report.

Format rules checked:
  - a JSON object with a "traceEvents" array (the JSON Object Format);
  - every event has "ph", integer "pid" and "tid"; every event but metadata
    a numeric "ts" >= 0 (microseconds); B, i and M events a "name";
  - instant events ("i") a scope "s" of "g", "p" or "t";
  - on each thread (pid, tid), "ts" never goes back in file order;
  - B/E pairs balance on each thread as a stack: each E ends the latest
    open B (same name), nothing is left open at the end;
  - every thread with events is named by a "thread_name" metadata event,
    every process by a "process_name" one.

usage: timeline_check.py --lockscope L [checks] -- PROGRAM ARGS
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def fail(msg, detail=""):
    print("FAIL: " + msg)
    if detail:
        print(detail[-4000:])
    sys.exit(1)


def validate(doc):
    """The format's rules; returns {(pid, tid): [events]} and the names."""
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("not a JSON object with a traceEvents array")
    tracks, tnames, pnames = {}, {}, {}
    for k, e in enumerate(doc["traceEvents"]):
        where = "event %d (%s)" % (k, json.dumps(e)[:200])
        if not isinstance(e, dict) or "ph" not in e:
            fail(where + ": no ph")
        ph = e["ph"]
        if ph not in ("B", "E", "i", "M"):
            fail(where + ": phase %r, the writer makes only B, E, i and M" % ph)
        for f in ("pid", "tid"):
            if not isinstance(e.get(f), int) or isinstance(e.get(f), bool):
                fail(where + ": %s is not an integer" % f)
        if ph in ("B", "i", "M") and not isinstance(e.get("name"), str):
            fail(where + ": no name")
        if ph == "M":
            if e["name"] == "thread_name":
                tnames[(e["pid"], e["tid"])] = e["args"]["name"]
            elif e["name"] == "process_name":
                pnames[e["pid"]] = e["args"]["name"]
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or isinstance(ts, bool) or ts < 0:
            fail(where + ": ts is not a number >= 0")
        if ph == "i" and e.get("s") not in ("g", "p", "t"):
            fail(where + ": instant without scope g, p or t")
        tracks.setdefault((e["pid"], e["tid"]), []).append(e)
    for key, evs in tracks.items():
        last, stack = -1, []
        for e in evs:
            if e["ts"] < last:
                fail("thread %s: ts goes back from %s to %s" % (key, last, e["ts"]))
            last = e["ts"]
            if e["ph"] == "B":
                stack.append(e)
            elif e["ph"] == "E":
                if not stack:
                    fail("thread %s: E at %s without an open B" % (key, e["ts"]))
                b = stack.pop()
                if e.get("name", b["name"]) != b["name"]:
                    fail("thread %s: E %r at %s ends B %r" % (key, e.get("name"), e["ts"],
                                                              b["name"]))
        if stack:
            fail("thread %s: %d B events never end (%s)" % (key, len(stack), stack[-1]["name"]))
        if key not in tnames:
            fail("thread %s has events but no thread_name" % (key,))
        if key[0] not in pnames:
            fail("process %s has events but no process_name" % key[0])
    return tracks, tnames


def load_slices(tracks, tnames):
    """Back into slices: {thread label: [(cat, name, begin, end, args)]}, a
    slice split to keep the nesting (args.continued) joined again."""
    out = {}
    for key, evs in tracks.items():
        label = tnames[key].split(" ")[0]
        stack, done = [], []
        for e in evs:
            if e["ph"] == "B":
                stack.append(e)
            elif e["ph"] == "E":
                b = stack.pop()
                args = b.get("args", {})
                if args.get("continued"):
                    # the part before the split ends exactly where this began
                    for i in range(len(done) - 1, -1, -1):
                        c = done[i]
                        if c[1] == b["name"] and c[3] == b["ts"]:
                            done[i] = (c[0], c[1], c[2], e["ts"], c[4])
                            break
                    else:
                        fail("thread %s: continued slice %r has no first part" % (label,
                                                                               b["name"]))
                else:
                    done.append((b.get("cat"), b["name"], b["ts"], e["ts"], args))
        out.setdefault(label, []).extend(done)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockscope", required=True)
    ap.add_argument("--status", type=int)
    ap.add_argument("--findings", type=int)
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--slice", action="append", default=[],
                    help="THREAD:CAT:NAME: a slice of that category and name on that thread")
    ap.add_argument("--slice-over", action="append", default=[],
                    help="THREAD:A:B: slice named A lasts over the whole of slice B (nesting)")
    ap.add_argument("--overlap", action="append", default=[],
                    help="THREAD:A:B: slices A and B overlap without nesting")
    ap.add_argument("--instants", action="append", default=[],
                    help="KIND: every finding of KIND has an instant on each of its threads")
    ap.add_argument("--lost", action="store_true", help="some events were not kept")
    ap.add_argument("--max-events", type=int, help="at most N events per thread in the record")
    ap.add_argument("--scope", help="STATE of the timeline's scope entry")
    ap.add_argument("--check-scope", action="append", default=[],
                    help="CHECK=STATE[:TEXT]: a process's scope entry for CHECK")
    ap.add_argument("--no-scope", action="append", default=[],
                    help="CHECK: no process has a scope entry for CHECK")
    ap.add_argument("--html", action="store_true", help="the HTML report has the SVG timelines")
    ap.add_argument("--no-timeline-option", action="store_true",
                    help="run without --timeline (the HTML must say it was not recorded)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("prog", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    prog = a.prog[1:] if a.prog and a.prog[0] == "--" else a.prog
    env = dict(os.environ)
    for kv in a.env:
        k, v = kv.split("=", 1)
        env[k] = v
    for _ in range(a.repeat):
        run_once(a, prog, env)
    print("ok")


def run_once(a, prog, env):
    with tempfile.TemporaryDirectory(prefix="lockscope-tl.") as tmp:
        tl = os.path.join(tmp, "timeline.json")
        js = os.path.join(tmp, "report.json")
        html = os.path.join(tmp, "report.html")
        cmd = [a.lockscope, "run", "--out", os.path.join(tmp, "traces"), "--json", js,
               "--html", html]
        if not a.no_timeline_option:
            cmd += ["--timeline", tl]
        cmd += ["--"] + prog
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=a.timeout, env=env)
        except subprocess.TimeoutExpired:
            fail("timed out: " + " ".join(cmd))
        err = r.stderr.decode(errors="replace")
        if a.status is not None and r.returncode != a.status:
            fail("exit status %d, expected %d" % (r.returncode, a.status), err)
        with open(js, encoding="utf-8") as f:
            rep = json.load(f)
        if a.findings is not None and len(rep["findings"]) != a.findings:
            fail("%d findings, expected %d: %s" % (len(rep["findings"]), a.findings,
                                                  [f["kind"] for f in rep["findings"]]), err)
        scope = [s for p in rep["processes"] for s in p["scope"] if s["check"] == "timeline"]
        if a.scope and not any(s["state"] == a.scope for s in scope):
            fail("timeline scope %s, expected %s" % (scope, a.scope))
        every = [s for p in rep["processes"] for s in p["scope"]]
        for spec in a.check_scope:
            name, rest = spec.split("=", 1)
            state, _, text = rest.partition(":")
            if not any(s["check"] == name and s["state"] == state and text in s["detail"]
                       for s in every):
                fail("no %s scope entry %s with %r: %s" % (name, state, text, every))
        for name in a.no_scope:
            if any(s["check"] == name for s in every):
                fail("a %s scope entry where none belongs: %s" % (name, every))
        with open(html, encoding="utf-8") as f:
            page = f.read()
        if a.no_timeline_option:
            if "<svg" in page and "class=\"tl\"" in page:
                fail("the HTML shows a timeline that was not recorded")
            if "not recorded" not in page:
                fail("the HTML does not say the timeline was not recorded")
            return
        if "the trace records no timing of events" in page:
            fail("the HTML still says the trace has no timing")
        with open(tl, encoding="utf-8") as f:
            doc = json.load(f)
        tracks, tnames = validate(doc)
        slices = load_slices(tracks, tnames)
        check(a, rep, doc, tracks, tnames, slices, err)
        if a.html:
            check_html(rep, page)


def find(slices, thread, name):
    return [s for s in slices.get(thread, []) if s[1] == name]


def threads(slices, thread):
    """The thread named, or with "*" every thread in turn."""
    return sorted(slices) if thread == "*" else [thread]


def check(a, rep, doc, tracks, tnames, slices, err):
    for spec in a.slice:
        thread, cat, name = spec.split(":", 2)
        if not any(s[0] == cat for t in threads(slices, thread) for s in find(slices, t, name)):
            fail("no %s slice %r on %s; it has %s" % (cat, name, thread,
                                                      sorted({s[1] for t in
                                                              threads(slices, thread) for s in
                                                              slices.get(t, [])})))
    for spec in a.slice_over:
        thread, outer, inner = spec.split(":", 2)
        if not any(o[2] <= i[2] and i[3] <= o[3] for t in threads(slices, thread)
                   for o in find(slices, t, outer) for i in find(slices, t, inner)):
            fail("on %s no %r lasts over %r" % (thread, outer, inner))
    for spec in a.overlap:
        thread, x, y = spec.split(":", 2)
        if not any(p[2] < q[2] < p[3] < q[3] for t in threads(slices, thread)
                   for p in find(slices, t, x) for q in find(slices, t, y)):
            fail("on %s %r and %r do not overlap as expected" % (thread, x, y))
    ids = {f["id"] for f in rep["findings"]}
    instants = [e for evs in tracks.values() for e in evs if e["ph"] == "i"]
    instants = [e for e in instants if e.get("cat") == "finding"]
    for e in instants:
        if e["args"]["id"] not in ids:
            fail("instant %r is no finding of the report" % e["name"])
    for kind in a.instants:
        fs = [f for f in rep["findings"] if f["kind"] == kind]
        if not fs:
            fail("no %s finding to look for" % kind, err)
        for f in fs:
            on = {tnames[(e["pid"], e["tid"])].split(" ")[0] for e in instants
                  if e["args"]["id"] == f["id"]}
            want = {t["thread"]["label"] for t in f.get("threads") or []}
            if not on:
                fail("finding %s (%s) has no instant" % (f["id"], kind))
            if want - on:
                fail("finding %s: no instant on %s" % (f["id"], sorted(want - on)))
    procs = doc["otherData"]["processes"]
    if a.lost and not any(p["lost"] > 0 for p in procs):
        fail("no events were lost: %s" % procs)
    if a.max_events is not None:
        for key, evs in tracks.items():
            n = sum(1 for e in evs if e["ph"] == "B" and not e.get("args", {}).get("continued"))
            if n > a.max_events:
                fail("thread %s has %d slices, more than %d" % (key, n, a.max_events))


def check_html(rep, page):
    if "script-src" not in page or "http://" in page.split("<body", 1)[-1].replace(
            "http://www.w3.org/2000/svg", ""):
        fail("the HTML page loads something from the network")
    for f in rep["findings"]:
        if f["kind"] not in ("deadlock", "stall", "data-race", "lock-order-cycle"):
            continue
        at = page.find('id="tl-%s"' % f["id"])
        if at < 0:
            fail("no timeline for finding %s" % f["id"])
        svg = page[at:page.find("</svg>", at)]
        if "class=\"tl-moment\"" not in svg:
            fail("finding %s: its timeline does not mark the moment" % f["id"])
        for lk in f.get("locks", []):
            label = lk.get("name") or lk.get("label")
            if label and label not in svg:
                fail("finding %s: its timeline does not name %s" % (f["id"], label))


if __name__ == "__main__":
    main()
