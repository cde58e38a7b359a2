#!/usr/bin/env python3
"""Run one program under `lockscope run` and check what it reports.

Usage: run_case.py --lockscope BIN [checks...] -- PROGRAM [ARGS...]

Checks (all optional):
  --status N         lockscope's exit status
  --findings N       number of findings in the JSON report
  --kind K           every finding has this kind
  --locks a,b        the first finding's locks, by name, as a set
  --lock-labels a,b  the same, by label (for locks without a symbol: prefix match)
  --sites F:@m,...   the first finding's acquisition sites (frame 0 of every
                     from_stack and to_stack) are exactly the lines of the
                     markers `@m` in source file F (found under --src-dir)
  --host-same        the program's stdout is byte for byte the same as in a
                     run without lockscope (and its status too, if no finding)
  --stderr-has S     lockscope's stderr contains S
  --stderr-lacks S   lockscope's stderr does not contain S
  --processes N      number of traced processes
  --finding-in-cmd S the first finding's process command line contains S
  --timeout SEC      fail if the run takes longer (default 60)
  --count K=N        exactly N findings of kind K
  --waits-for a,b    the deadlock finding's threads wait for exactly these locks
                     ("join" for a thread waiting in pthread_join)
  --self-deadlock    the deadlock finding is a self-deadlock
  --related          the deadlock and the lock-order cycle are linked
  --preload-same SHIM  the program's stdout and wait status (the signal it died
                     of and whether it dumped core included) are the same in a
                     run without lockscope and in one with SHIM preloaded by
                     hand (LD_PRELOAD, no `lockscope run`); all runs are then
                     made in a temporary directory, where core dumps may go
  --sampled VAR[:rwa] accesses to VAR were sampled: reads (r), writes (w),
                     atomic ones (a); default rw; with --repeat, in at least
                     half of the runs (sampling can miss on a busy machine)
  --race-where W     every access of every data race is to the bytes named W
                     (cells[2], stats.errors)
  --trap-count K>=N  the processes' watchpoint traps of kind K (taken, exact,
                     no_access, ...) add up to at least N
  --turns K>=N       the processes' watch turns of kind K (armed, rested) add
                     up to at least N (K<=N: at most N)
  --repeat N         run the program N times; every run must pass the checks,
                     unless --min-found is given
  --min-found K      with --repeat: at least K runs report a race on
                     --race-var (and pass the checks); every other run
                     reports nothing and exits 0
  --stdout-lacks S   the program's stdout under lockscope does not contain S
  --orphan L=F:@m    the stall finding is marked orphan, and a thread of kind
                     "exited" in it holds lock L, acquired at marker @m in F
  --race-location K[:TEXT]  every data race is on memory of location kind K
                     (global, heap, stack, tls) and its description has TEXT
  --race-field F     every data race names the raced bytes F (`job->count`);
                     `-`: none names them
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time


class Failed(Exception):
    pass


def fail(msg, out=None):
    if out is not None:
        msg += "\n---- lockscope stderr ----\n" + out
    raise Failed(msg)


def marker_lines(src_dir, fname, markers):
    path = None
    for root, _, files in os.walk(src_dir):
        if fname in files:
            path = os.path.join(root, fname)
            break
    if not path:
        fail("source file %s not found under %s" % (fname, src_dir))
    lines = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            for m in re.findall(r"@([A-Za-z0-9_]+)", line):
                lines.setdefault(m, set()).add(i)
    out = set()
    for m in markers:
        if m not in lines:
            fail("marker @%s not in %s" % (m, path))
        out |= lines[m]
    return out


def cores_stay_here():
    """Core dumps can be allowed when they go to a file in the current
    directory (not to a pipe or to a system directory)."""
    try:
        with open("/proc/sys/kernel/core_pattern", encoding="utf-8") as f:
            pat = f.read().strip()
    except OSError:
        return False
    return bool(pat) and not pat.startswith("|") and "/" not in pat


def describe(st):
    if os.WIFSIGNALED(st):
        return "killed by signal %d%s" % (os.WTERMSIG(st),
                                          " (core dumped)" if os.WCOREDUMP(st) else "")
    if os.WIFEXITED(st):
        return "exit status %d" % os.WEXITSTATUS(st)
    return "wait status %#x" % st


def run_raw(argv, env, cwd, timeout, cores):
    """Runs argv; returns its stdout and its raw wait status."""
    limit = resource.RLIM_INFINITY if cores else 0
    out_path = os.path.join(cwd, "stdout.%d" % time.monotonic_ns())
    with open(out_path, "wb") as out:
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE,
                                                                   (limit, limit)))
    end = time.monotonic() + timeout
    while True:
        pid, st = os.waitpid(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > end:
            p.kill()
            os.waitpid(p.pid, 0)
            p.returncode = -9
            fail("timed out after %gs: %s" % (timeout, " ".join(argv)))
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(st)
    with open(out_path, "rb") as f:
        data = f.read()
    os.unlink(out_path)
    return data, st


def preload_same(shim, prog, env, tmp, timeout):
    cores = cores_stay_here()
    native, nst = run_raw(prog, env, tmp, timeout, cores)
    penv = dict(env)
    penv["LD_PRELOAD"] = shim
    penv["LOCKSCOPE_OUT"] = os.path.join(tmp, "preload-traces")
    os.mkdir(penv["LOCKSCOPE_OUT"])
    pre, pst = run_raw(prog, penv, tmp, timeout, cores)
    if pre != native:
        fail("stdout differs with LD_PRELOAD=%s:\n%r\nwithout:\n%r"
             % (shim, pre[:600], native[:600]))
    if pst != nst:
        fail("with LD_PRELOAD the program is %s, without it %s" % (describe(pst), describe(nst)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockscope", required=True)
    ap.add_argument("--src-dir", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--status", type=int)
    ap.add_argument("--findings", type=int)
    ap.add_argument("--kind")
    ap.add_argument("--locks")
    ap.add_argument("--lock-labels")
    ap.add_argument("--sites")
    ap.add_argument("--host-same", action="store_true")
    ap.add_argument("--stderr-has", action="append", default=[])
    ap.add_argument("--stderr-lacks", action="append", default=[])
    ap.add_argument("--processes", type=int)
    ap.add_argument("--finding-in-cmd")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--count", action="append", default=[])
    ap.add_argument("--waits-for")
    ap.add_argument("--self-deadlock", action="store_true")
    ap.add_argument("--related", action="store_true")
    ap.add_argument("--stall", action="store_true")
    ap.add_argument("--fork-orphan", action="store_true")
    ap.add_argument("--rule")
    ap.add_argument("--sampled", action="append", default=[])
    ap.add_argument("--race-where")
    ap.add_argument("--trap-count", action="append", default=[])
    ap.add_argument("--turns", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--min-found", type=int)
    ap.add_argument("--race-var")
    ap.add_argument("--watch-refused", action="store_true")
    ap.add_argument("--scope", action="append", default=[],
                    help="CHECK=STATE[:TEXT]: some process's scope entry for CHECK has STATE "
                         "(and TEXT in its detail), and the merged lists say so")
    ap.add_argument("--race-sites")
    ap.add_argument("--misuse-sites")
    ap.add_argument("--order", help="a>b,c>d: these lock-order pairs are in the JSON")
    ap.add_argument("--profile-lock",
                    help="LOCK: its profile matches what the program printed "
                         "(acquisitions=N waited_ns=W on stdout)")
    ap.add_argument("--misuse-any-site",
                    help="FILE:@m: the misuse finding's stack or other stack has a frame at m")
    ap.add_argument("--preload-same", metavar="SHIM")
    ap.add_argument("--json-max-kb", type=int,
                    help="N: the JSON report is at most N KB")
    ap.add_argument("--profile-rest", type=int,
                    help="N: profile_rest sums up at least N locks the profile does not list")
    ap.add_argument("--stdout-lacks", action="append", default=[],
                    help="S: the program's stdout under lockscope does not contain S")
    ap.add_argument("--orphan",
                    help="LOCK=FILE:@m: the stall finding is marked orphan, and an exited "
                         "thread in it holds LOCK, acquired at the line of marker m")
    ap.add_argument("--profile-holds",
                    help="LOCK: its hold times match what the program printed (held_max_ns=M, "
                         "and held_ns=H if given): no hold the program timed longer than 5 ms is "
                         "missed, none is made much longer than it was (the shim's 5 ms tick, "
                         "15 ms for preemption and the slack the profile gives), "
                         "the total is within 3x either way, and a hold over 1 s is listed as "
                         "a long hold")
    ap.add_argument("--stderr-once", action="append", default=[],
                    help="S: exactly one line of lockscope's stderr contains S")
    ap.add_argument("--note-count", action="append", default=[],
                    help="TEXT=N: the JSON report's notes (the run's and every process's) "
                         "that contain TEXT number exactly N")
    ap.add_argument("--misuse", action="append", default=[],
                    help="RULE,KEY=VALUE,...: some misuse finding of RULE has all of: "
                         "call=NAME, error=ENAME, other=THREAD-LABEL (the other thread), "
                         "other_site=FILE@m (its stack has a frame at m), site=FILE@m, "
                         "locks=a+b (lock names or labels), reason=TEXT (in the reason)")
    ap.add_argument("--rule-count", action="append", default=[],
                    help="RULE=N: exactly N misuse findings of RULE")
    ap.add_argument("--sync-race", action="append", default=[],
                    help="KEY=VALUE,...: some data-race finding on a sync object "
                         "(variable.location \"sync\") has all of: desc=TEXT (in "
                         "variable.description), write=FILE@m (the init/destroy's stack "
                         "starts at marker m), other=FILE@m (the other side's stack has a "
                         "frame at m), other_thread=LABEL, write_thread=LABEL")
    ap.add_argument("--wait-stack", action="append", default=[],
                    help="F:@a,@b,-@c: a thread of the deadlock or stall finding waits with "
                         "frames at the lines of markers a and b in F and none at c's; "
                         "F:@a,...=LOCK: the same of where it took LOCK")
    ap.add_argument("--race-location",
                    help="KIND[:TEXT]: every data race's variable is of location KIND and its "
                         "description contains TEXT")
    ap.add_argument("--race-field", help="F: every data race's variable has field F "
                                         "(-: has none)")
    ap.add_argument("prog", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    prog = a.prog[1:] if a.prog and a.prog[0] == "--" else a.prog
    if not prog:
        print("FAIL: no program given")
        sys.exit(1)
    env = dict(os.environ)
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    found = 0
    sampled_runs = 0
    miss = None
    for i in range(a.repeat):
        a.sampled_miss = None
        try:
            found += run_once(a, prog, env)
        except Failed as e:
            print("FAIL%s: %s" % (" (run %d of %d)" % (i + 1, a.repeat) if a.repeat > 1 else "", e))
            sys.exit(1)
        if a.sampled_miss:
            miss = a.sampled_miss
        else:
            sampled_runs += 1
    if a.sampled and 2 * sampled_runs < a.repeat:
        print("FAIL: what --sampled names was sampled in %d of %d runs (at least half must): %s"
              % (sampled_runs, a.repeat, miss))
        sys.exit(1)
    if a.min_found is not None and found < a.min_found:
        print("FAIL: the race was found in %d of %d runs, expected at least %d"
              % (found, a.repeat, a.min_found))
        sys.exit(1)
    print("ok: %s%s" % (" ".join(prog), " (found in %d of %d runs)" % (found, a.repeat)
                        if a.min_found is not None else ""))


def race_found(finds, var):
    return any(f["kind"] == "data-race" and f["variable"]["name"] == var for f in finds)


def run_once(a, prog, env):
    """Runs the program once and checks it; returns 1 if it is a run that
    found the race (--min-found), 0 otherwise."""
    with tempfile.TemporaryDirectory(prefix="lockscope-e2e.") as tmp:
        js = os.path.join(tmp, "report.json")
        cmd = [a.lockscope, "run", "--out", os.path.join(tmp, "traces"), "--json", js, "--"] + prog
        if a.preload_same:
            preload_same(a.preload_same, prog, env, tmp, a.timeout)
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=a.timeout, env=env,
                               cwd=tmp if a.preload_same else None)
        except subprocess.TimeoutExpired:
            fail("timed out after %gs: %s" % (a.timeout, " ".join(cmd)))
        err = r.stderr.decode(errors="replace")
        # With --min-found, a run that misses the race exits 0 (checked below).
        if a.status is not None and r.returncode != a.status and \
                not (a.min_found is not None and r.returncode == 0):
            fail("exit status %d, expected %d" % (r.returncode, a.status), err)
        for s in a.stderr_has:
            if s not in err:
                fail("stderr lacks %r" % s, err)
        for s in a.stderr_lacks:
            if s in err:
                fail("stderr has %r" % s, err)
        try:
            with open(js, encoding="utf-8") as f:
                rep = json.load(f)
        except (OSError, ValueError) as e:
            fail("cannot read the JSON report: %s" % e, err)
        finds = rep["findings"]
        if a.json_max_kb is not None and os.path.getsize(js) > a.json_max_kb * 1024:
            fail("the JSON report is %d KB, more than %d" % (os.path.getsize(js) // 1024,
                                                              a.json_max_kb), err)
        if a.profile_rest is not None:
            rest = rep.get("profile_rest", {})
            listed = len(rep.get("profile", []))
            if rest.get("locks", 0) < a.profile_rest or listed > 400:
                fail("profile lists %d locks and sums up %s" % (listed, rest), err)
        if a.min_found is not None and not race_found(finds, a.race_var):
            if finds or r.returncode != 0:
                fail("no race on %s, and %d findings, status %d: a run that does not find "
                     "the race must report nothing" % (a.race_var, len(finds), r.returncode), err)
            return 0
        if a.findings is not None and len(finds) != a.findings:
            fail("%d findings, expected %d" % (len(finds), a.findings), err)
        if a.processes is not None and len(rep["processes"]) != a.processes:
            fail("%d processes, expected %d" % (len(rep["processes"]), a.processes), err)
        if a.kind:
            for f in finds:
                if f["kind"] != a.kind:
                    fail("finding of kind %s, expected %s" % (f["kind"], a.kind), err)
        if a.locks:
            names = {l["name"] for l in finds[0]["locks"]}
            if names != set(a.locks.split(",")):
                fail("locks %s, expected %s" % (sorted(map(str, names)), a.locks), err)
        if a.lock_labels:
            labels = [l["label"] for l in finds[0]["locks"]]
            for want in a.lock_labels.split(","):
                if not any(l.startswith(want) for l in labels):
                    fail("no lock labelled %r in %s" % (want, labels), err)
        if a.sites:
            fname, _, marks = a.sites.partition(":")
            want = marker_lines(a.src_dir, fname, [m.lstrip("@") for m in marks.split(",")])
            got = set()
            for e in finds[0]["edges"]:
                for st in (e["from_stack"], e["to_stack"]):
                    if not st:
                        fail("an edge has an empty stack", err)
                    fr = st[0]
                    if not fr["file"] or os.path.basename(fr["file"]) != fname:
                        fail("frame 0 is %s:%s, expected in %s" % (fr["file"], fr["line"], fname), err)
                    got.add(fr["line"])
            if got != want:
                fail("acquisition lines %s, expected %s" % (sorted(got), sorted(want)), err)
        for kv in a.count:
            k, _, n = kv.partition("=")
            got = sum(1 for f in finds if f["kind"] == k)
            if got != int(n):
                fail("%d findings of kind %s, expected %s" % (got, k, n), err)
        dls = [f for f in finds if f["kind"] in ("deadlock", "stall")]
        if a.waits_for or a.self_deadlock or a.related or a.stall or a.fork_orphan:
            if not dls:
                fail("no deadlock finding", err)
            d = dls[0]
        if a.waits_for:
            got = sorted(t["waits_for"]["lock"] or t["waits_for"]["kind"] for t in d["threads"])
            if got != sorted(a.waits_for.split(",")):
                fail("threads wait for %s, expected %s" % (got, a.waits_for), err)
            for t in d["threads"]:
                if t["waits_for"]["kind"] == "exited":
                    pass  # gone: no wait stack, only what it left held
                elif not t["wait_stack"] or not t["wait_stack"][0]["file"]:
                    fail("a waiting thread has no symbolized wait stack", err)
                for h in t["holds"]:
                    if not h["stack"] or not h["stack"][0]["file"]:
                        fail("a held lock has no symbolized stack", err)
        if a.fork_orphan and not d.get("fork_orphan"):
            fail("the deadlock is not marked as a lock orphaned by fork", err)
        if a.stall and not d.get("stall"):
            fail("the deadlock is not marked as a stall", err)
        if a.self_deadlock and not d["self"]:
            fail("the deadlock is not marked as a self-deadlock", err)
        if a.related:
            cyc = [f for f in finds if f["kind"] == "lock-order-cycle"]
            if not cyc or d["related"] != cyc[0]["id"] or cyc[0]["related"] != d["id"]:
                fail("deadlock and lock-order cycle are not linked", err)
        a.sampled_miss = None
        for spec in a.sampled:
            var, _, kinds = spec.partition(":")
            got = {}
            for p in rep["processes"]:
                for sv in p.get("races", {}).get("sampled", []):
                    got[sv["variable"]] = sv
            sv = got.get(var)
            keys = {"r": "reads", "w": "writes", "a": "atomic_accesses"}
            for k in kinds or "rw":
                if not sv or sv[keys[k]] < 1:
                    msg = "no %s of %s were sampled: %s" % (keys[k], var, sv)
                    # Sampling can miss on a busy machine: with --repeat,
                    # half the runs must have sampled it (checked in main).
                    if a.repeat == 1:
                        fail(msg, err)
                    a.sampled_miss = a.sampled_miss or msg
        for spec in a.trap_count:
            key, _, n = spec.partition(">=")
            got = sum(p.get("races", {}).get("traps", {}).get(key, 0) for p in rep["processes"])
            if got < int(n):
                fail("%d traps of kind %s, expected at least %s" % (got, key, n), err)
        for spec in a.turns:
            most = "<=" in spec
            key, _, n = spec.partition("<=" if most else ">=")
            got = sum(p.get("races", {}).get("turns", {}).get(key, 0) for p in rep["processes"])
            if (got > int(n)) if most else (got < int(n)):
                fail("%d watch turns %s, expected at %s %s" % (got, key, "most" if most else "least", n),
                     err)
        if a.race_where:
            races = [f for f in finds if f["kind"] == "data-race"]
            if not races:
                fail("no data race", err)
            for f in races:
                for acc in f["accesses"]:
                    if acc.get("where") != a.race_where:
                        fail("a race access is to %s, expected %s" % (acc.get("where"),
                                                                      a.race_where), err)
        if a.watch_refused:
            w = [p.get("races", {}).get("watchpoints") for p in rep["processes"]]
            if "refused" not in w:
                fail("no process says watchpoints were refused: %s" % w, err)
        for sc in a.scope:
            check, _, rest = sc.partition("=")
            state, _, text = rest.partition(":")
            entries = [e for p in rep["processes"] for e in p["scope"] if e["check"] == check]
            if not any(e["state"] == state and text in e["detail"] for e in entries):
                fail("no process's %s scope is %s%s: %s" %
                     (check, state, " with %r" % text if text else "", entries), err)
            lists = rep["not_checked" if state == "not-checked" else "checked"]
            title = entries[0]["title"]
            if not any(l.startswith(title) for l in lists):
                fail("the merged lists do not have %r: %s" % (title, lists), err)
        if a.race_var:
            if finds[0]["variable"]["name"] != a.race_var:
                fail("race on %s, expected %s" % (finds[0]["variable"]["name"], a.race_var), err)
            for acc in finds[0]["accesses"]:
                if not acc["stack"] or not acc["stack"][0]["file"]:
                    fail("a race access has no symbolized stack", err)
        if a.race_location or a.race_field:
            check_race_location(a, finds, err)
        if a.race_sites:
            # FILE:@m1,@m2: the union over all findings of (kind@line) must
            # cover every marker's line
            fname, _, marks = a.race_sites.partition(":")
            want = marker_lines(a.src_dir, fname, [m.lstrip("@") for m in marks.split(",")])
            got = set()
            for f in finds:
                for acc in f.get("accesses", []):
                    fr = acc["stack"][0]
                    if os.path.basename(fr["file"] or "") == fname:
                        got.add(fr["line"])
            if not want <= got:
                fail("race lines %s do not cover %s" % (sorted(got), sorted(want)), err)
        if a.rule:
            mis = [f for f in finds if f["kind"] == "misuse"]
            if not mis or mis[0].get("rule") != a.rule:
                fail("rule %r, expected %r" % (mis[0].get("rule") if mis else None, a.rule), err)
        if a.misuse_sites:
            fname, _, marks = a.misuse_sites.partition(":")
            ms = marks.split(",")
            f0 = [f for f in finds if f["kind"] == "misuse"][0]
            for st, mark in ((f0["stack"], ms[0]), (f0["other_stack"], ms[1] if len(ms) > 1 else None)):
                if mark is None:
                    continue
                want = marker_lines(a.src_dir, fname, [mark.lstrip("@")])
                if not st or st[0]["line"] not in want or os.path.basename(st[0]["file"] or "") != fname:
                    fail("misuse stack starts at %s, expected %s:%s" % (st[0] if st else None, fname, sorted(want)), err)
        if a.misuse_any_site:
            fname, _, mark = a.misuse_any_site.partition(":")
            want = marker_lines(a.src_dir, fname, [mark.lstrip("@")])
            f0 = [f for f in finds if f["kind"] == "misuse"][0]
            lines = {fr["line"] for st in (f0["stack"], f0["other_stack"]) for fr in st
                     if os.path.basename(fr["file"] or "") == fname}
            if not want & lines:
                fail("misuse stacks show lines %s, expected one of %s" % (sorted(lines), sorted(want)), err)
        if a.order:
            have = {(o["from"], o["to"]) for p in rep["processes"] for o in p.get("lock_order", [])}
            for pair in a.order.split(","):
                x, _, y = pair.partition(">")
                if (x, y) not in have:
                    fail("lock order %s -> %s not recorded; have %s" % (x, y, sorted(have)), err)
        if a.profile_lock:
            m = re.search(r"acquisitions=(\d+) waited_ns=(\d+)", r.stdout.decode())
            if not m:
                fail("the program did not print its own measurements", err)
            acq, waited = int(m.group(1)), int(m.group(2))
            prof = [q for q in rep.get("profile", []) if q["lock"]["name"] == a.profile_lock]
            if not prof:
                fail("no profile for %s" % a.profile_lock, err)
            q = prof[0]
            if q["acquisitions"] != acq:
                fail("profile counts %d acquisitions, the program %d" % (q["acquisitions"], acq), err)
            if not 0 < q["contended"] <= acq or q["owner_changes"] <= 0:
                fail("contended %d, owner changes %d: implausible" % (q["contended"], q["owner_changes"]), err)
            # lockscope times the wait inside the call; the program times the
            # whole call: lockscope's total must be close below the program's.
            if not 0.5 * waited <= q["wait_ns"] <= 1.05 * waited:
                fail("profile waited %d ns, the program measured %d ns" % (q["wait_ns"], waited), err)
            if not q["wait_sites"] or not q["wait_sites"][0]["stack"]:
                fail("no waiting site", err)
            if q["hold_samples"] <= 0 or q["hold_max_ns"] < 15000:
                fail("hold times not measured: %s" % q, err)
            if "contention profile" not in err:
                fail("the text report has no contention profile", err)
        if a.profile_holds:
            out = r.stdout.decode()
            m = re.search(r"held_max_ns=(\d+)", out)
            if not m:
                fail("the program did not print held_max_ns", err)
            longest = int(m.group(1))
            prof = [q for q in rep.get("profile", []) if q["lock"]["name"] == a.profile_holds]
            if not prof:
                fail("no profile for %s" % a.profile_holds, err)
            q = prof[0]
            # lockscope times from inside the lock call to inside the unlock
            # call: never shorter than the program's own interval
            if longest >= 5000000 and q["hold_max_ns"] < longest:
                fail("longest hold %d ns, the program measured %d ns" % (q["hold_max_ns"], longest), err)
            # lockscope's interval also holds the wrappers' own work, where
            # a thread may be preempted on a busy machine (15 ms), and a hold
            # is timed from the tick before it (hold_max_slack_ns says how
            # long before, at most)
            slack = q["hold_max_slack_ns"]
            if q["hold_max_ns"] > longest * 1.01 + 15000000 + slack:
                fail("longest hold %d ns, more than the program's %d ns, its slack of %d ns "
                     "and 15 ms" % (q["hold_max_ns"], longest, slack), err)
            h = re.search(r"held_ns=(\d+)", out)
            # (the short holds are sampled one in 64, the long ones timed to
            # within a tick of a clock that may tick late on a loaded
            # machine: a factor of 3 either way)
            if h and not int(h.group(1)) / 3 <= q["hold_ns_estimated"] <= 3 * int(h.group(1)):
                fail("holds estimated at %d ns in all, the program measured %s ns" %
                     (q["hold_ns_estimated"], h.group(1)), err)
            if longest > 1000000000:
                if not q["long_hold"]:
                    fail("a hold of %d ns is not marked as a long hold" % longest, err)
                if "%s was held for" % a.profile_holds not in err:
                    fail("the text report does not list the long hold", err)
        for s in a.stderr_once:
            n = sum(1 for line in err.splitlines() if s in line)
            if n != 1:
                fail("%d lines of stderr contain %r, expected 1" % (n, s), err)
        for spec in a.note_count:
            text, _, n = spec.rpartition("=")
            notes = list(rep.get("run", {}).get("notes") or []) + [m for p in rep["processes"]
                                                    for m in p.get("notes") or []]
            got = sum(1 for m in notes if text in m)
            if got != int(n):
                fail("%d notes contain %r, expected %s: %s" % (got, text, n, notes), err)
        if a.finding_in_cmd:
            p = rep["processes"][finds[0]["process"]]
            if a.finding_in_cmd not in p["command"]:
                fail("finding's process is %r, expected one running %r" % (p["command"], a.finding_in_cmd), err)
        if a.host_same:
            try:
                n = subprocess.run(prog, capture_output=True, timeout=a.timeout,
                                   cwd=tmp if a.preload_same else None)
            except subprocess.TimeoutExpired:
                fail("the native run timed out")
            if n.stdout != r.stdout:
                fail("stdout differs with lockscope:\n%r\nwithout:\n%r" % (r.stdout[:400], n.stdout[:400]), err)
            # lockscope run exits 128 + N for a program killed by signal N
            native = n.returncode if n.returncode >= 0 else 128 - n.returncode
            if not finds and native != r.returncode:
                fail("status %d with lockscope, %d without" % (r.returncode, native), err)
        for s in a.stdout_lacks:
            if s in r.stdout.decode(errors="replace"):
                fail("the program's stdout has %r" % s, err)
        if a.orphan:
            lock, _, site = a.orphan.partition("=")
            fname, _, mark = site.partition(":")
            want = marker_lines(a.src_dir, fname, [mark.lstrip("@")])
            d = [f for f in finds if f["kind"] == "stall"]
            if not d or not d[0].get("orphan"):
                fail("no stall marked orphan", err)
            gone = [t for t in d[0]["threads"] if t["waits_for"]["kind"] == "exited"]
            held = [h for t in gone for h in t["holds"] if h["lock"] == lock]
            if not held:
                fail("no exited thread holds %s" % lock, err)
            st = held[0]["stack"]
            if not st or st[0]["line"] not in want or os.path.basename(st[0]["file"] or "") != fname:
                fail("%s was acquired at %s, expected %s:%s" % (lock, st[0] if st else None,
                                                               fname, sorted(want)), err)
            if "has exited" not in err:
                fail("the text report does not say the holder has exited", err)
        check_misuse(a, finds, err)
        check_sync_races(a, finds, err)
        for spec in a.wait_stack:
            check_wait_stack(a, finds, spec, err)
    return 1 if a.min_found is not None else 0


def check_wait_stack(a, finds, spec, err):
    """--wait-stack F:@a,-@b[=LOCK]"""
    spec, _, lock = spec.partition("=")
    fname, _, marks = spec.partition(":")
    marks = marks.split(",")
    want = [marker_lines(a.src_dir, fname, [m.lstrip("@")]) for m in marks if not m.startswith("-")]
    bad = marker_lines(a.src_dir, fname, [m.lstrip("-@") for m in marks if m.startswith("-")]) \
        if any(m.startswith("-") for m in marks) else set()
    seen = []
    for f in finds:
        if f["kind"] not in ("deadlock", "stall"):
            continue
        for t in f["threads"]:
            stacks = [t["wait_stack"]] if not lock else \
                [h["stack"] for h in t["holds"] if h["lock"] == lock]
            for st in stacks:
                lines = {fr["line"] for fr in st or [] if os.path.basename(fr["file"] or "") == fname}
                seen.append(sorted(lines))
                if all(w & lines for w in want) and not bad & lines:
                    return
    fail("no %s stack of a deadlock or stall thread matches %s (lines seen: %s)"
         % ("wait" if not lock else lock + "'s", spec, seen), err)


def misuse_matches(a, f, conds):
    """The reasons misuse finding f fails conds (KEY=VALUE strings)."""
    bad = []
    def at_marker(stack, spec):
        fname, _, mark = spec.partition("@")
        want = marker_lines(a.src_dir, fname, [mark])
        return any(os.path.basename(fr["file"] or "") == fname and fr["line"] in want
                   for fr in stack or [])
    for c in conds:
        k, _, v = c.partition("=")
        if k == "call" and f.get("call") != v:
            bad.append("call %r" % f.get("call"))
        elif k == "error" and f.get("error") != v:
            bad.append("error %r" % f.get("error"))
        elif k == "other" and (f.get("other_thread") or {}).get("label") != v:
            bad.append("other thread %r" % (f.get("other_thread") or {}).get("label"))
        elif k == "other_site" and not at_marker(f.get("other_stack"), v):
            bad.append("other stack %s" % [(x["file"], x["line"]) for x in f.get("other_stack") or []][:3])
        elif k == "site" and not at_marker(f.get("stack"), v):
            bad.append("stack %s" % [(x["file"], x["line"]) for x in f.get("stack") or []][:3])
        elif k == "locks":
            have = {l.get("name") for l in f["locks"]} | {l.get("label") for l in f["locks"]}
            if not set(v.split("+")) <= have:
                bad.append("locks %s" % sorted(str(x) for x in have))
        elif k == "reason" and v not in (f.get("reason") or ""):
            bad.append("reason %r" % f.get("reason"))
        elif k not in ("call", "error", "other", "other_site", "site", "locks", "reason"):
            fail("unknown --misuse key %r" % k)
    return bad


def check_race_location(a, finds, err):
    races = [f for f in finds if f["kind"] == "data-race"]
    if not races:
        fail("no data race to check the location of", err)
    kind, _, text = (a.race_location or "").partition(":")
    for f in races:
        v = f["variable"]
        if kind and v.get("location") != kind:
            fail("race location %r, expected %r" % (v.get("location"), kind), err)
        if text and text not in (v.get("description") or ""):
            fail("race description %r lacks %r" % (v.get("description"), text), err)
        if kind == "heap" and "allocated by" in (v.get("description") or "") \
                and not v.get("alloc_stack"):
            fail("a heap block said allocated by a thread has no allocation stack", err)
        want = None if a.race_field == "-" else a.race_field
        if a.race_field and v.get("field") != want:
            fail("race field %r, expected %r" % (v.get("field"), want), err)


def check_misuse(a, finds, err):
    mis = [f for f in finds if f["kind"] == "misuse"]
    for spec in a.misuse:
        rule, *conds = spec.split(",")
        cands = [f for f in mis if f.get("rule") == rule]
        if not cands:
            fail("no misuse finding of rule %s (have %s)" % (rule, [f.get("rule") for f in mis]), err)
        why = [misuse_matches(a, f, conds) for f in cands]
        if all(why):
            fail("no %s finding has %s: %s" % (rule, conds, why), err)
    for kv in a.rule_count:
        rule, _, n = kv.partition("=")
        got = sum(1 for f in mis if f.get("rule") == rule)
        if got != int(n):
            fail("%d misuse findings of rule %s, expected %s" % (got, rule, n), err)


def sync_race_matches(a, f, conds):
    """What of conds f lacks (empty: it has them all)."""
    bad = []
    for c in conds:
        k, _, v = c.partition("=")
        if k == "desc":
            if v not in (f["variable"].get("description") or ""):
                bad.append("description %r" % f["variable"].get("description"))
        elif k in ("write", "other"):
            fname, _, mark = v.partition("@")
            want = marker_lines(a.src_dir, fname, [mark])
            st = f["accesses"][0 if k == "write" else 1]["stack"]
            frames = st[:1] if k == "write" else st
            if not any(fr["line"] in want and os.path.basename(fr["file"] or "") == fname
                       for fr in frames):
                bad.append("%s stack %s" % (k, [(fr.get("file"), fr.get("line")) for fr in st]))
        elif k in ("write_thread", "other_thread"):
            th = f["accesses"][0 if k == "write_thread" else 1]["thread"]
            if v not in (th.get("label"), th.get("name")):
                bad.append("%s %s" % (k, th))
        else:
            fail("unknown --sync-race key %r" % k)
    return bad


def check_sync_races(a, finds, err):
    sync = [f for f in finds if f["kind"] == "data-race"
            and f.get("variable", {}).get("location") == "sync"]
    for spec in a.sync_race:
        conds = [c for c in spec.split(",") if c]
        if not sync:
            fail("no data-race finding on a sync object", err)
        why = [sync_race_matches(a, f, conds) for f in sync]
        if all(why):
            fail("no sync-object race has %s: %s" % (conds, why), err)


if __name__ == "__main__":
    main()
