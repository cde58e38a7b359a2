#!/usr/bin/env python3
"""lockscope on a terminal: colours and the progress line, under a
pseudo-terminal (the pty module), and never in a file, a pipe or a report.

Usage: terminal.py --lockscope BIN --work DIR [--big-prog PROG] [--prog PROG]
                   [--clean-prog PROG] CASE

CASE prepare makes the traces the other cases analyze (run it first):
  DIR/long/   a 30-40 MB trace of many lock-order edges (PROG --big-prog,
              250000 iterations) and the noodle/fork trace (--prog)
  DIR/suite/  SUITE_TRACES copies of a clean program's trace (--clean-prog)
Prints "ok: CASE" and exits 0, or "FAIL: ..." and exits 1.
"""
import argparse
import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time

A = None
# Enough traces that the trace number visibly advances (4000 take about a second).
SUITE_TRACES = 4000
# The cases that look at the progress line show it at once: how long an analysis takes
# depends on the machine, and the default half-second delay is checked by case_short.
AT_ONCE = {"LOCKSCOPE_PROGRESS_DELAY": "0"}
ESC = b"\x1b"
RED_WARNING = b"\x1b[1m\x1b[31mWARNING: lockscope: lock-order-inversion"
BOLD_SUMMARY = b"\x1b[1mSUMMARY: lockscope: lock-order-inversion"
LOCK = b"\x1b[1m\x1b[35mnoodle_lock\x1b[0m"


class Fail(Exception):
    pass


def check(cond, msg, out=None):
    if not cond:
        if out is not None:
            msg += "\n---- output ----\n" + out.decode(errors="replace")[-4000:]
        raise Fail(msg)


def env_of(extra=None, drop=()):
    e = dict(os.environ)
    for k in ("NO_COLOR", "LOCKSCOPE_SUPPRESSIONS", "LOCKSCOPE_OPTIONS",
              "LOCKSCOPE_PROGRESS_DELAY") + tuple(drop):
        e.pop(k, None)
    e["TERM"] = "xterm-256color"
    if extra:
        e.update(extra)
    return e


def on_pty(args, env, stdout_file=None, stderr_file=None, cols=120, timeout=120):
    """Runs lockscope with its terminal streams on a pseudo-terminal (those
    not sent to a file); returns (status, what the terminal got)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    out = open(stdout_file, "wb") if stdout_file else slave
    err = open(stderr_file, "wb") if stderr_file else slave
    p = subprocess.Popen([A.lockscope] + args, stdin=slave, stdout=out, stderr=err, env=env,
                         start_new_session=True)
    os.close(slave)
    for f in (out, err):
        if not isinstance(f, int):
            f.close()
    got = bytearray()
    end = time.monotonic() + timeout
    while True:
        if time.monotonic() > end:
            p.kill()
            raise Fail("timed out: lockscope %s" % " ".join(args))
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            if p.poll() is not None and not select.select([master], [], [], 0.2)[0]:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every copy of the slave side is closed
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    return p.wait(timeout=30), bytes(got)


def to_files(args, env, timeout=120):
    r = subprocess.run([A.lockscope] + args, capture_output=True, env=env, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def progress_lines(tty):
    """The lines (between newlines) on which the progress line was drawn."""
    return [l for l in tty.replace(b"\r\n", b"\n").split(b"\n") if b"lockscope: [" in l]


def check_progress(tty, traces, stage=None):
    lines = progress_lines(tty)
    check(len(lines) == 1, "the progress line is on %d lines, not redrawn on one" % len(lines),
          tty)
    line = lines[0]
    draws = re.findall(rb"\rlockscope: \[[= ]{20}\] trace (\d+) of (\d+), ([0-9.]+ [KM]B) of "
                       rb"([0-9.]+ [KM]B) read: ([a-z -]+)", line)
    check(draws, "no progress drawing in %r" % line[:300], tty)
    check(all(int(d[1]) == traces for d in draws), "not 'of %d traces': %s" % (traces, draws[:3]))
    check(ESC not in line, "escape codes in the progress line")
    if stage:
        check(any(d[4].strip() == stage.encode() for d in draws),
              "stage %r never shown: %s" % (stage, sorted({d[4] for d in draws})))
    # Erased at the end: spaces over it, the cursor back at its start.
    check(re.search(rb"\r {20,}\r", line), "the progress line is not erased", tty)
    return draws


def case_prepare():
    long_dir = os.path.join(A.work, "long")
    suite = os.path.join(A.work, "suite")
    for d in (long_dir, suite, os.path.join(A.work, "tmp")):
        shutil.rmtree(d, ignore_errors=True)
    for d in (long_dir, suite, os.path.join(A.work, "tmp")):
        os.makedirs(d, mode=0o700)
    env = env_of()
    # Lock-order edges are kept once per process: the bench's full size
    # (about 2,000,000 of them) for a trace of several MB.
    subprocess.run([A.lockscope, "run", "--no-html", "--out", long_dir, "--", A.big_prog,
                    "2000000"], capture_output=True, env=env, timeout=300, check=False)
    subprocess.run([A.lockscope, "run", "--no-html", "--out", os.path.join(A.work, "tmp"),
                    "--", A.prog], capture_output=True, env=env, timeout=60, check=False)
    big = [f for f in os.listdir(long_dir) if f.endswith(".trace")]
    check(len(big) == 1 and os.path.getsize(os.path.join(long_dir, big[0])) > 5e6,
          "no large trace from %s" % A.big_prog)
    # The noodle/fork trace joins the large one: a finding to colour.
    for f in os.listdir(os.path.join(A.work, "tmp")):
        shutil.move(os.path.join(A.work, "tmp", f), os.path.join(long_dir, "lockscope.1.trace"))
    subprocess.run([A.lockscope, "run", "--no-html", "--out", os.path.join(A.work, "tmp"),
                    "--", A.clean_prog], capture_output=True, env=env, timeout=60, check=False)
    one = [os.path.join(A.work, "tmp", f) for f in os.listdir(os.path.join(A.work, "tmp"))]
    check(len(one) == 1, "no trace of %s" % A.clean_prog)
    for i in range(SUITE_TRACES):
        shutil.copyfile(one[0], os.path.join(suite, "lockscope.%d.trace" % (10000 + i)))
    os.chmod(suite, 0o700)


def case_long_analysis():
    """A long analysis on a terminal: the progress line, then the coloured report."""
    st, tty = on_pty(["analyze", os.path.join(A.work, "long")], env_of(AT_ONCE))
    check(st == 66, "status %d, expected 66" % st, tty)
    draws = check_progress(tty, 2, stage="lock-order graph")
    check(any(d[2].endswith(b"MB") and float(d[2].split()[0]) > 1 for d in draws),
          "the bytes read never pass 1 MB: %s" % draws[:3])
    check(RED_WARNING in tty and BOLD_SUMMARY in tty and LOCK in tty,
          "no coloured WARNING, SUMMARY and lock names", tty)
    # The report starts after the line was erased, never on top of it.
    check(tty.index(b"WARNING") > tty.rindex(b"lockscope: ["), "report before the progress end")


def case_suite():
    """Thousands of traces: one progress line, counting them."""
    st, tty = on_pty(["analyze", os.path.join(A.work, "suite")], env_of(AT_ONCE))
    check(st == 0, "status %d, expected 0" % st, tty)
    draws = check_progress(tty, SUITE_TRACES)
    seen = sorted({int(d[0]) for d in draws})
    check(len(seen) >= 2 and seen[-1] > seen[0], "the trace number does not advance: %s" % seen)


def case_short():
    """A short analysis shows no progress line at all."""
    st, tty = on_pty(["analyze", os.path.join(A.work, "long", "lockscope.1.trace")], env_of())
    check(st == 66, "status %d" % st, tty)
    check(b"lockscope: [" not in tty, "a progress line for an analysis under half a second", tty)
    check(RED_WARNING in tty, "no colour", tty)
    # run reports on stderr: on a terminal, in colour.
    st, tty = on_pty(["run", "--no-html", "--out", os.path.join(A.work, "run_tty"), "--", A.prog],
                     env_of())
    check(st == 66 and RED_WARNING in tty and LOCK in tty, "run on a terminal: no colour", tty)


def case_stderr_to_file():
    """stderr to a file: no progress, no escape codes (stdout still a terminal)."""
    err = os.path.join(A.work, "stderr_to_file.err")
    st, tty = on_pty(["analyze", os.path.join(A.work, "long")], env_of(), stderr_file=err)
    check(st == 66, "status %d" % st, tty)
    data = open(err, "rb").read()
    check(ESC not in data and b"\r" not in data, "escape codes or a progress line in the file",
          data)
    # run reports on stderr: redirected, it has no colour either.
    st, out, err2 = to_files(["run", "--no-html", "--out", os.path.join(A.work, "run_file"), "--",
                              A.prog], env_of())
    check(st == 66 and b"WARNING: lockscope" in err2, "run: status %d" % st, err2)
    check(ESC not in err2 and ESC not in out, "run: escape codes in a redirected stderr", err2)


def case_no_color():
    """NO_COLOR on a terminal: no escape code at all; the progress line stays."""
    st, tty = on_pty(["analyze", os.path.join(A.work, "long")],
                     env_of(dict(AT_ONCE, NO_COLOR="1")))
    check(st == 66 and b"WARNING: lockscope" in tty, "status %d" % st, tty)
    check(ESC not in tty, "escape codes with NO_COLOR=1", tty)
    check_progress(tty, 2)
    # An empty NO_COLOR does not count; --color=never does.
    st, tty = on_pty(["analyze", os.path.join(A.work, "long", "lockscope.1.trace")],
                     env_of({"NO_COLOR": ""}))
    check(RED_WARNING in tty, "an empty NO_COLOR turned colour off", tty)
    st, tty = on_pty(["analyze", "--color=never", os.path.join(A.work, "long",
                                                                "lockscope.1.trace")], env_of())
    check(ESC not in tty, "escape codes with --color=never", tty)


def case_dumb():
    """TERM=dumb: neither colour nor a progress line."""
    st, tty = on_pty(["analyze", os.path.join(A.work, "long")], env_of({"TERM": "dumb"}))
    check(st == 66 and b"WARNING: lockscope" in tty, "status %d" % st, tty)
    check(ESC not in tty and b"lockscope: [" not in tty, "colour or progress with TERM=dumb", tty)


def case_always():
    """--color=always into files: the text report is coloured, the report files never."""
    w = os.path.join(A.work, "always")
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    files = {k: os.path.join(w, "r." + k) for k in ("json", "html", "sarif", "xml")}
    st, out, err = to_files(["analyze", "--color=always", "--json", files["json"], "--html",
                             files["html"], "--sarif", files["sarif"], "--junit", files["xml"],
                             os.path.join(A.work, "long", "lockscope.1.trace")],
                            env_of({"NO_COLOR": "1"}))
    check(st == 66, "status %d" % st, err)
    check(RED_WARNING in out and BOLD_SUMMARY in out, "--color=always: no colour in the file",
          out)
    check(ESC not in err, "escape codes on stderr (nothing there is the report)", err)
    for k, path in files.items():
        data = open(path, "rb").read()
        check(len(data) > 100 and ESC not in data, "escape codes in the %s report" % k)
    # run: the same, through stderr into a file.
    st, out, err = to_files(["run", "--color=always", "--no-html", "--json", files["json"],
                             "--out", os.path.join(A.work, "always", "t"), "--", A.prog],
                            env_of())
    check(st == 66 and RED_WARNING in err, "run --color=always: no colour in stderr", err)
    check(ESC not in open(files["json"], "rb").read(), "escape codes in run's JSON report")
    # The flag is checked.
    st, out, err = to_files(["analyze", "--color=sometimes", w], env_of())
    check(st == 2 and b"--color needs auto, always or never, not 'sometimes'" in err,
          "a bad --color value", err)


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockscope", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--big-prog")
    ap.add_argument("--prog")
    ap.add_argument("--clean-prog")
    ap.add_argument("case", choices=sorted(CASES))
    A = ap.parse_args()
    try:
        CASES[A.case]()
    except Fail as e:
        print("FAIL: %s: %s" % (A.case, e))
        return 1
    print("ok: %s" % A.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
