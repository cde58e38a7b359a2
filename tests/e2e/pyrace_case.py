#!/usr/bin/env python3
"""Run a Python program under `lockscope run` and check its Python data races.

usage: pyrace_case.py --lockscope BIN [--python PY | --pyenv V] [checks...] -- ARGS...

The interpreter (default: Debian's /usr/bin/python3) that is missing makes
the test skip (status 77, with a message).  Checks, in every one of
--repeat N runs:
  --clean              no finding at all
  --race VAR@MODULE    a data-race finding on Python global VAR of MODULE
                       (location python-global, its description), and:
  --read F:L           ... with a read whose innermost frame is Python file F
                       (base name), line L
  --write F:L          ... and a write there (one finding has both, or
                       --write twice for the write/write pair)
  --thread-prefix P    both accesses' threads have Python names starting P
  --only               every finding is a race on that variable
  --min-accesses N     the data-race scope is "checked" and says at least N
                       accesses were sampled (so a clean run watched something)
  --scope-has TEXT     the data-race scope's detail contains TEXT
  --host-same          stdout and exit status equal a native run's
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

from py_case import interpreter


def fail(msg):
    print('pyrace_case: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def top(acc):
    st = acc.get('stack') or []
    if not st or not st[0].get('python'):
        return None
    return '%s:%d' % (os.path.basename(st[0]['file'] or ''), st[0]['line'])


def check_race(a, fs, where, err):
    var, _, mod = a.race.partition('@')
    races = [f for f in fs if f['kind'] == 'data-race']
    mine = [f for f in races if f['variable'].get('name') == var and
            f['variable'].get('module') == mod and
            f['variable'].get('location') == 'python-global' and
            f['variable'].get('description') == 'Python global `%s` of module `%s`' % (var, mod)]
    if a.only and len(mine) != len(fs):
        fail('findings other than races on %s%s: %s' %
             (var, where, [(f['kind'], f.get('variable')) for f in fs if f not in mine]))
    if not mine:
        fail('no data race on Python global %s of %s%s; races: %s\n%s' %
             (var, mod, where, [f['variable'] for f in races], err))
    want = sorted([('read', x) for x in a.read] + [('write', x) for x in a.write])
    pairs = []
    for f in mine:
        got = sorted((x['kind'], top(x)) for x in f['accesses'])
        pairs.append(got)
        if want and got != want:
            continue
        if a.thread_prefix:
            names = [(x.get('thread') or {}).get('name') or '' for x in f['accesses']]
            if not all(n.startswith(a.thread_prefix) for n in names):
                fail('threads %s do not start with %r' % (names, a.thread_prefix))
        if 'Lock' not in f.get('reason', '') or 'join' not in f.get('reason', ''):
            fail('the explanation is not in Python terms: %s' % f.get('reason'))
        return
    fail('no race on %s with accesses %s%s; they were %s' % (var, want, where, pairs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lockscope', required=True)
    ap.add_argument('--python', default='/usr/bin/python3')
    ap.add_argument('--pyenv')
    ap.add_argument('--repeat', type=int, default=1)
    ap.add_argument('--clean', action='store_true')
    ap.add_argument('--race')
    ap.add_argument('--read', action='append', default=[])
    ap.add_argument('--write', action='append', default=[])
    ap.add_argument('--thread-prefix')
    ap.add_argument('--only', action='store_true')
    ap.add_argument('--min-accesses', type=int)
    ap.add_argument('--scope-has')
    ap.add_argument('--host-same', action='store_true')
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('args', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.args and a.args[0] == '--':
        a.args = a.args[1:]
    py = interpreter(a.python, a.pyenv, 'pyrace_case')
    with tempfile.TemporaryDirectory(prefix='pyrace_case.') as work:
        native = None
        if a.host_same:
            native = subprocess.run([py] + a.args, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, timeout=a.timeout)
        for i in range(a.repeat):
            rep = os.path.join(work, 'r%d.json' % i)
            cmd = [a.lockscope, 'run', '--no-html', '--json', rep, '--out',
                   os.path.join(work, 't%d' % i), '--', py] + a.args
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=a.timeout)
            err = p.stderr.decode(errors='replace')
            where = ' (run %d of %d)' % (i + 1, a.repeat)
            try:
                d = json.load(open(rep))
            except Exception as e:
                fail('no JSON report (%s)%s:\n%s' % (e, where, err))
            fs = d['findings']
            if a.clean and fs:
                fail('expected no finding, got %s%s:\n%s' %
                     ([(f['kind'], f.get('variable')) for f in fs], where, err))
            if a.race:
                check_race(a, fs, where, err)
            if a.min_accesses is not None:
                sc = [s for pr in d['processes'] for s in pr.get('scope', [])
                      if s.get('check') == 'data-race']
                m = re.match(r'(\d+) access', sc[0].get('detail', '')) if sc else None
                if not sc or sc[0]['state'] != 'checked' or not m or \
                        int(m.group(1)) < a.min_accesses:
                    fail('the data-race scope is %s, expected checked with at least %d '
                         'accesses%s' % (sc, a.min_accesses, where))
            if a.scope_has:
                sc = [s for pr in d['processes'] for s in pr.get('scope', [])
                      if s.get('check') == 'data-race']
                if not sc or a.scope_has not in sc[0].get('detail', ''):
                    fail('the data-race scope is %s, expected %r in it%s' % (sc, a.scope_has, where))
            if native is not None:
                if p.stdout != native.stdout:
                    fail('stdout differs from a native run%s:\n%r\n%r' %
                         (where, p.stdout[:400], native.stdout[:400]))
    print('pyrace_case: ok')


if __name__ == '__main__':
    main()
