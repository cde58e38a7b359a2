#!/usr/bin/env python3
"""The manual page and the README against the command itself.

Usage: docs_options.py --lockscope BIN --manpage BUILD/docs/lockscope.1
                       --src-dir DIR

- every option `lockscope --help` lists, every key `LOCKSCOPE_OPTIONS=help=1`
  lists, every command, every environment variable the command and the shim
  read (getenv in cli/ and preload/) and every exit status appear in the
  manual page as `man -l` renders it, and `man -l` renders it without a
  warning;
- the README's option table lists every option of --help, and no other.
Prints "ok" and exits 0, or the FAIL lines and exits 1.
"""
import argparse
import os
import re
import subprocess
import sys

fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL: " + msg)


def help_options(ls):
    out = subprocess.run([ls, "--help"], capture_output=True, text=True, check=True).stdout
    opts = set(re.findall(r"^\s+(--[a-z][a-z-]*)", out, re.M))
    opts |= set(re.findall(r"(--[a-z][a-z-]*)", out.split("\n\n")[0]))  # the usage lines
    if len(opts) < 10:
        fail("only %d options found in --help: %s" % (len(opts), sorted(opts)))
    return opts


def shim_keys(ls):
    env = dict(os.environ, LOCKSCOPE_OPTIONS="help=1")
    err = subprocess.run([ls, "run", "--no-html", "--", "true"], capture_output=True,
                         text=True, env=env).stderr
    keys = re.findall(r"^  ([a-z_]+) ", err.split("LOCKSCOPE_OPTIONS=key=value", 1)[-1], re.M)
    if "stack_depth" not in keys or "suppressions" not in keys:
        fail("help=1 lists %s" % keys)
    return keys


def render(manpage):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    env.pop("MANPAGER", None)
    env.pop("PAGER", None)
    r = subprocess.run(["man", "--warnings=w", "-l", manpage], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0 or r.stderr.strip():
        fail("man -l %s: status %d, warnings:\n%s" % (manpage, r.returncode, r.stderr))
    # groff's minus signs and hyphens, as ASCII.
    text = r.stdout.translate({0x2010: "-", 0x2011: "-", 0x2212: "-"})
    if "NAME" not in text or "EXIT STATUS" not in text:
        fail("man -l rendered no page:\n" + text[:500])
    return text


def section(text, name):
    m = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ]+\n)" % re.escape(name), text, re.M | re.S)
    return m.group(1) if m else ""


def getenv_names(src):
    names = set()
    for room in ("cli", "preload"):
        for root, _, files in os.walk(os.path.join(src, room)):
            for f in files:
                if f.endswith((".c", ".h")):
                    with open(os.path.join(root, f), encoding="utf-8") as fh:
                        names |= set(re.findall(r'getenv\("([A-Z_]+)"\)', fh.read()))
    return names


def word(opt, text):
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockscope", required=True)
    ap.add_argument("--manpage", required=True)
    ap.add_argument("--src-dir", required=True)
    a = ap.parse_args()

    opts = help_options(a.lockscope)
    keys = shim_keys(a.lockscope)
    page = render(a.manpage)
    for o in sorted(opts):
        if not word(o, page):
            fail("the manual page lacks %s (in --help)" % o)
    shim = section(page, "SHIM OPTIONS")
    for k in keys:
        if not re.search(r"(?<![\w-])%s=" % k, shim):
            fail("the manual page's SHIM OPTIONS lack %s= (in LOCKSCOPE_OPTIONS=help=1)" % k)
    commands = section(page, "COMMANDS")
    for c in ("run", "analyze", "help", "--help", "--version"):
        if not word(c, commands):
            fail("the manual page's COMMANDS lack %s" % c)
    envs = section(page, "ENVIRONMENT")
    names = getenv_names(a.src_dir)
    if "LOCKSCOPE_OPTIONS" not in names:
        fail("no getenv found in the sources: %s" % sorted(names))
    for n in sorted(names):
        if not re.search(r"^       %s(\s|$)" % n, envs, re.M):
            fail("the manual page's ENVIRONMENT lacks %s (read by the sources)" % n)
    statuses = section(page, "EXIT STATUS")
    for s in ("0", "2", "66", "86", "127"):
        if not re.search(r"^       %s\b" % s, statuses, re.M):
            fail("the manual page's EXIT STATUS lacks %s" % s)
    files = section(page, "FILES")
    for f in ("lockscope.pid.trace", "report.html", "liblockscope.so", "annotate.h"):
        if f not in files:
            fail("the manual page's FILES lack %s" % f)

    with open(os.path.join(a.src_dir, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    m = re.search(r"^\| option of `run` and `analyze` \|.*?\n\n", readme, re.M | re.S)
    if not m:
        fail("the README has no table of the command's options")
    else:
        table = set()
        for first in re.findall(r"^\| ([^|]*) \|", m.group(0), re.M):
            table |= set(re.findall(r"`(--[a-z][a-z-]*)", first))
        for o in sorted(opts - table):
            fail("the README's option table lacks %s (in --help)" % o)
        for o in sorted(table - opts):
            fail("the README's option table has %s, which --help does not" % o)
    if fails:
        print("%d check(s) failed" % len(fails))
        return 1
    print("ok: the manual page and the README cover %d options, %d shim keys, %d variables"
          % (len(opts), len(keys), len(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
