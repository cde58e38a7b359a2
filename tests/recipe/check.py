#!/usr/bin/env python3
"""The README's CMake/CTest recipe, run exactly as the README writes it, on
this small project; and the README's GitHub Actions and GitLab CI jobs
checked against it.

Usage: check.py --lockscope BIN --readme README.md --project DIR --work DIR

- The sh block after the "run as written by tests/recipe/check.py" comment
  is run by bash -e in a fresh copy of the project, with the lockscope under
  test first on PATH: it must exit 66 (the inverted test's lock-order
  cycle), the JUnit file must fail that test's process and pass the others,
  the SARIF file must locate the cycle in inverted.c relative to the
  project, and the HTML page and the traces must be there.  With
  RECIPE_CLEAN set (the project then has only its clean test) it exits 0.
- Every command of the recipe is a command of both CI jobs, in order, and
  the jobs upload or keep the files the recipe writes (SARIF to code
  scanning on GitHub, JUnit as GitLab's test report, both kept).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL: " + msg)


def blocks(readme):
    """(info string, text, preceding line) of every fenced block."""
    out = []
    lines = readme.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)$", lines[i])
        if m:
            j = i + 1
            while j < len(lines) and lines[j] != "```":
                j += 1
            out.append((m.group(1), "\n".join(lines[i + 1:j]) + "\n",
                        lines[i - 1] if i else ""))
            i = j
        i += 1
    return out


def commands(sh):
    """The recipe's commands, one per logical line."""
    return [c.strip() for c in re.sub(r"\\\n\s*", " ", sh).split("\n") if c.strip()]


def norm(cmd):
    return " ".join(cmd.split())


def run_recipe(a, recipe, name, extra_env):
    work = os.path.join(a.work, name)
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(a.project, work, ignore=shutil.ignore_patterns("check.py", "build"))
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("LOCKSCOPE_") or k == "NO_COLOR":
            del env[k]
    env["PATH"] = os.path.dirname(os.path.abspath(a.lockscope)) + os.pathsep + env["PATH"]
    env.update(extra_env)
    r = subprocess.run(["bash", "-e", "-c", recipe], cwd=work, env=env, capture_output=True,
                       text=True, timeout=600)
    return work, r


def junit_cases(path):
    cases = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        cases[tc.get("name")] = tc.find("failure") is not None
    return cases


def check_run(a, recipe):
    work, r = run_recipe(a, recipe, "with_cycle", {})
    out = r.stdout + r.stderr
    if r.returncode != 66:
        fail("the recipe exited with %d, expected 66:\n%s" % (r.returncode, out[-3000:]))
        return
    last = out.rstrip().split("\n")[-1]
    if not last.startswith("lockscope: 1 finding (1 lock-order-cycle)"):
        fail("last line %r" % last)
    cases = junit_cases(os.path.join(work, "lockscope.xml"))
    failing = [n for n, f in cases.items() if f]
    if len(failing) != 1 or not failing[0].endswith("/inverted"):
        fail("JUnit failures %s, expected the inverted test's process (cases %s)"
             % (failing, sorted(cases)))
    if not any(n.endswith("/ordered") and not f for n, f in cases.items()):
        fail("JUnit has no passing testcase for the ordered test: %s" % cases)
    if not any("ctest" in n and not f for n, f in cases.items()):
        fail("JUnit has no testcase for ctest itself: %s" % sorted(cases))
    with open(os.path.join(work, "lockscope.sarif"), encoding="utf-8") as f:
        sarif = json.load(f)
    res = sarif["runs"][0]["results"]
    locs = [x["locations"][0]["physicalLocation"]["artifactLocation"] for x in res]
    if len(res) != 1 or res[0]["ruleId"] != "lock-order-cycle" or \
            locs[0] != {"uri": "inverted.c", "uriBaseId": "SRCROOT"}:
        fail("SARIF results %s at %s" % ([x["ruleId"] for x in res], locs))
    for f in ("lockscope.html", "lockscope-traces"):
        if not os.path.exists(os.path.join(work, f)):
            fail("the recipe left no %s" % f)
    traces = [t for t in os.listdir(os.path.join(work, "lockscope-traces"))
              if t.endswith(".trace")]
    if len(traces) < 3:
        fail("%d traces: ctest and its two tests should each have one" % len(traces))


def check_clean(a, recipe):
    work, r = run_recipe(a, recipe, "clean", {"RECIPE_CLEAN": "1"})
    if r.returncode != 0:
        fail("the recipe on a clean project exited with %d:\n%s"
             % (r.returncode, (r.stdout + r.stderr)[-3000:]))
        return
    cases = junit_cases(os.path.join(work, "lockscope.xml"))
    if any(cases.values()) or not cases:
        fail("clean project: JUnit %s" % cases)


def job_commands(job_steps):
    out = []
    for text in job_steps:
        out += [norm(c) for c in commands(text)]
    return out


def check_jobs(readme, recipe_cmds):
    ymls = [yaml.safe_load(t) for info, t, _ in blocks(readme) if info == "yaml"]
    gh = [y for y in ymls if isinstance(y, dict) and "jobs" in y]
    gl = [y for y in ymls if isinstance(y, dict) and "lockscope" in y and "jobs" not in y]
    if len(gh) != 1 or len(gl) != 1:
        fail("expected one GitHub Actions and one GitLab CI job in the README, found %d and %d"
             % (len(gh), len(gl)))
        return
    want = [norm(c) for c in recipe_cmds]
    ls_cmd = [c for c in recipe_cmds if c.startswith("lockscope ")][0].split()
    sarif = ls_cmd[ls_cmd.index("--sarif") + 1]
    junit = ls_cmd[ls_cmd.index("--junit") + 1]
    html = ls_cmd[ls_cmd.index("--html") + 1]
    out_dir = ls_cmd[ls_cmd.index("--out") + 1]

    steps = gh[0]["jobs"]["lockscope"]["steps"]
    runs = job_commands([s["run"] for s in steps if "run" in s])
    if [c for c in runs if c in want] != want:
        fail("the GitHub job does not run the recipe's commands in order: %s" % runs)
    up = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    if not up or up[0]["with"]["sarif_file"] != sarif or up[0].get("if") != "always()":
        fail("the GitHub job does not upload %s to code scanning, always" % sarif)
    art = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    kept = art[0]["with"]["path"].split() if art else []
    if not art or art[0].get("if") != "always()" or \
            not {junit, html, out_dir + "/"} <= set(kept):
        fail("the GitHub job does not keep %s, %s and %s/: %s" % (junit, html, out_dir, kept))

    job = gl[0]["lockscope"]
    script = job_commands(job["script"])
    if script != want:
        fail("the GitLab job's script is not the recipe: %s" % script)
    arts = job.get("artifacts", {})
    if arts.get("reports", {}).get("junit") != junit or arts.get("when") != "always" or \
            not {junit, sarif, html, out_dir + "/"} <= set(arts.get("paths", [])):
        fail("the GitLab job's artefacts %s" % arts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockscope", required=True)
    ap.add_argument("--readme", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    with open(a.readme, encoding="utf-8") as f:
        readme = f.read()
    recipe = [t for info, t, before in blocks(readme)
              if info == "sh" and "tests/recipe/check.py" in before]
    if len(recipe) != 1:
        print("FAIL: the README has %d blocks marked as the tested recipe" % len(recipe))
        return 1
    cmds = commands(recipe[0])
    if not any(c.startswith("lockscope run ") and "ctest" in c for c in cmds):
        fail("the recipe does not run ctest under lockscope: %s" % cmds)
    check_jobs(readme, cmds)
    check_run(a, recipe[0])
    check_clean(a, recipe[0])
    if fails:
        print("%d check(s) failed" % len(fails))
        return 1
    print("ok: the README's recipe and CI jobs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
