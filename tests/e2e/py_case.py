#!/usr/bin/env python3
"""Run a Python program under `lockscope run` and check the JSON report.

usage: py_case.py --lockscope BIN [--python PY] [checks...] -- ARGS...

ARGS are the interpreter's arguments (`prog.py`, `-c CODE`, `-m pkg`,
`-I -S prog.py` ...).  The interpreter (default: Debian's /usr/bin/python3;
a pyenv version with --pyenv 3.12.1) that is missing makes the test skip
(status 77, with a message).  Checks:
  --clean            no finding at all (and --repeat N times)
  --kinds K,K        the findings' kinds, sorted, are exactly these
  --or-kinds K,K     ... or exactly these (a program that may really hang)
  --status N         lockscope run's exit status
  --program-status N the deadlock finding says the program was ended with N
  --locks A,B        every finding names exactly these locks
  --sites F:L,...    each of these Python file:line is the innermost frame of
                     some stack of the findings (F: the file's base name)
  --threads N,...    these thread names appear in the findings
  --host-same        stdout and exit status equal a native run's
  --within SECS      the run under lockscope took at most SECS seconds
  --scope CHECK=STATE[:TEXT]  the process's scope entry
  --stderr-has TEXT  lockscope's stderr contains TEXT
  --sarif-at F:L     some SARIF result's location is Python file F (base
                     name), line L
  --html-has TEXT    the HTML report contains TEXT
  --related          the deadlock finding is linked to a lock-order cycle
  --created-at F:L,...  these Python lines started the findings' threads (the
                     first frame of each creation stack outside the stdlib)
  --profile-has L    the contention profile has a lock labelled L
  --profile-lacks T  no lock in the contention profile has T in its label
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print('py_case: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def frames_of(obj):
    """Every stack (list of frames) anywhere in a finding."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, list) and v and isinstance(v[0], dict) and 'function' in v[0] \
                    and 'line' in v[0]:
                yield v
            else:
                yield from frames_of(v)
    elif isinstance(obj, list):
        for x in obj:
            yield from frames_of(x)


def thread_names(obj):
    if isinstance(obj, dict):
        if 'os_tid' in obj and obj.get('name'):
            yield obj['name']
        for v in obj.values():
            yield from thread_names(v)
    elif isinstance(obj, list):
        for x in obj:
            yield from thread_names(x)


def created_stacks(obj):
    if isinstance(obj, dict):
        if isinstance(obj.get('created_at'), list):
            yield obj['created_at']
        for v in obj.values():
            yield from created_stacks(v)
    elif isinstance(obj, list):
        for x in obj:
            yield from created_stacks(x)


def lock_names(f):
    return sorted({l.get('name') or l.get('label') for l in f.get('locks', [])})


def one_run(a, py, work, i):
    out = os.path.join(work, 'traces%d' % i)
    rep = os.path.join(work, 'report%d.json' % i)
    env = dict(os.environ)
    for kv in a.env:
        k, _, v = kv.partition('=')
        env[k] = v
    html = os.path.join(work, 'report%d.html' % i)
    sarif = os.path.join(work, 'report%d.sarif' % i)
    cmd = [a.lockscope, 'run', '--html', html, '--sarif', sarif, '--json', rep, '--out', out,
           '--', py] + a.args
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=a.timeout,
                       env=env, cwd=a.cwd or None)
    secs = time.monotonic() - t0
    try:
        d = json.load(open(rep))
    except Exception as e:
        fail('no JSON report (%s); stderr:\n%s' % (e, p.stderr.decode(errors='replace')))
    a.html_text = open(html, errors='replace').read() if os.path.exists(html) else ''
    a.sarif_doc = json.load(open(sarif)) if os.path.exists(sarif) else {}
    return p, secs, d


def interpreter(python, pyenv, who):
    """The interpreter to run: python, or pyenv's version pyenv; exits 77
    (ctest's skip) with a line saying why when it is not here."""
    py = python
    if pyenv:
        root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
        try:
            root = subprocess.run(['pyenv', 'root'], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True).stdout.strip() or root
        except OSError:
            pass
        py = os.path.join(root, 'versions', pyenv, 'bin', 'python3')
    if not os.access(py, os.X_OK):
        print('%s: skipped: no interpreter %s here' % (who, py))
        sys.exit(77)
    return py


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lockscope', required=True)
    ap.add_argument('--python', default='/usr/bin/python3')
    ap.add_argument('--pyenv', help='a pyenv version: its bin/python3')
    ap.add_argument('--clean', action='store_true')
    ap.add_argument('--repeat', type=int, default=1)
    ap.add_argument('--kinds')
    ap.add_argument('--or-kinds')
    ap.add_argument('--status', type=int)
    ap.add_argument('--program-status', type=int)
    ap.add_argument('--locks')
    ap.add_argument('--sites')
    ap.add_argument('--threads')
    ap.add_argument('--host-same', action='store_true')
    ap.add_argument('--within', type=float)
    ap.add_argument('--scope', action='append', default=[])
    ap.add_argument('--stderr-has', action='append', default=[])
    ap.add_argument('--env', action='append', default=[])
    ap.add_argument('--sarif-at', action='append', default=[])
    ap.add_argument('--html-has', action='append', default=[])
    ap.add_argument('--related', action='store_true')
    ap.add_argument('--profile-has', action='append', default=[])
    ap.add_argument('--created-at')
    ap.add_argument('--profile-lacks', action='append', default=[])
    ap.add_argument('--cwd')
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('args', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.args and a.args[0] == '--':
        a.args = a.args[1:]
    py = interpreter(a.python, a.pyenv, 'py_case')

    with tempfile.TemporaryDirectory(prefix='py_case.') as work:
        native = None
        if a.host_same:
            native = subprocess.run([py] + a.args, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, timeout=a.timeout,
                                    cwd=a.cwd or None)
        for i in range(a.repeat):
            p, secs, d = one_run(a, py, work, i)
            err = p.stderr.decode(errors='replace')
            fs = d['findings']
            kinds = sorted(f['kind'] for f in fs)
            where = ' (run %d of %d)' % (i + 1, a.repeat)
            if a.clean and fs:
                fail('expected no finding, got %s%s:\n%s' % (kinds, where, err))
            if a.kinds is not None and kinds != sorted(a.kinds.split(',')) and \
                    not (a.or_kinds and kinds == sorted(a.or_kinds.split(','))):
                fail('kinds %s, expected %s%s:\n%s' % (kinds, sorted(a.kinds.split(',')), where,
                                                       err))
            if a.status is not None and p.returncode != a.status:
                fail('lockscope run exited %d, expected %d%s:\n%s' % (p.returncode, a.status,
                                                                     where, err))
            if a.program_status is not None:
                dl = [f for f in fs if f['kind'] == 'deadlock']
                if not dl or dl[0].get('exit_status') != a.program_status or \
                        not dl[0].get('ended_program'):
                    fail('no deadlock that ended the program with status %d' % a.program_status)
            if a.created_at:
                made = set()
                for f in fs:
                    for st in created_stacks(f):
                        for fr in st:
                            if fr.get('python') and '/lib/python3' not in (fr.get('file') or ''):
                                made.add('%s:%d' % (os.path.basename(fr['file']), fr['line']))
                                break
                for want in a.created_at.split(','):
                    if want not in made:
                        fail('no thread was created at %s; they were at %s' % (want, sorted(made)))
            labels = [(q.get('lock') or {}).get('label', '') for q in d.get('profile', [])]
            for want in a.profile_has:
                if want not in labels:
                    fail('no lock %r in the profile; it has %s' % (want, labels[:20]))
            for bad in a.profile_lacks:
                if any(bad in l for l in labels):
                    fail('%r is in the profile: %s' % (bad, [l for l in labels if bad in l]))
            if a.related:
                dl = [f for f in fs if f['kind'] == 'deadlock']
                ids = {f['id'] for f in fs if f['kind'] == 'lock-order-cycle'}
                if not dl or dl[0].get('related') not in ids:
                    fail('the deadlock is not linked to a lock-order cycle')
            if a.locks is not None:
                want = sorted(a.locks.split(','))
                for f in fs:
                    if lock_names(f) != want:
                        fail('%s names locks %s, expected %s' % (f['kind'], lock_names(f), want))
            if a.sites:
                tops = set()
                for f in fs:
                    for st in frames_of(f):
                        if st[0].get('python') and st[0].get('file'):
                            tops.add('%s:%d' % (os.path.basename(st[0]['file']), st[0]['line']))
                for s in a.sites.split(','):
                    if s not in tops:
                        fail('no stack has %s as its innermost Python frame; they have %s' %
                             (s, sorted(tops)))
            if a.threads:
                names = set()
                for f in fs:
                    names.update(thread_names(f))
                for n in a.threads.split(','):
                    if n not in names:
                        fail('thread %r not in the findings; they have %s' % (n, sorted(names)))
            if a.within is not None and secs > a.within:
                fail('the run took %.2f s, more than %.2f s' % (secs, a.within))
            for sc in a.scope:
                check, _, rest = sc.partition('=')
                state, _, text = rest.partition(':')
                entries = [e for pr in d['processes'] for e in pr.get('scope', [])
                           if e['check'] == check]
                if not any(e['state'] == state and text in e.get('detail', '') for e in entries):
                    fail('scope %s: %s, expected %s%s' % (check, entries, state,
                                                         (' with ' + text) if text else ''))
            for want in a.sarif_at:
                locs = set()
                for run in a.sarif_doc.get('runs', []):
                    for res in run.get('results', []):
                        for l in res.get('locations', []):
                            pl = l.get('physicalLocation', {})
                            locs.add('%s:%s' % (os.path.basename(
                                pl.get('artifactLocation', {}).get('uri', '')),
                                pl.get('region', {}).get('startLine')))
                if want not in locs:
                    fail('no SARIF result at %s; they are at %s' % (want, sorted(locs)))
            for want in a.html_has:
                if want not in a.html_text:
                    fail('the HTML report lacks %r' % want)
            for s in a.stderr_has:
                if s not in err:
                    fail('stderr lacks %r:\n%s' % (s, err))
            if native is not None:
                if p.stdout != native.stdout:
                    fail('stdout differs from the native run:\n--- native\n%s\n--- lockscope\n%s'
                         % (native.stdout.decode(errors='replace'),
                            p.stdout.decode(errors='replace')))
                want = native.returncode if not fs else None
                if want is not None and p.returncode != want:
                    fail('exit status %d, native %d' % (p.returncode, want))
        print('py_case: ok (%d run%s, last %.2f s)' % (a.repeat, 's' if a.repeat > 1 else '', secs))


if __name__ == '__main__':
    main()
