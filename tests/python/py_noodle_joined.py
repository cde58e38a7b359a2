# noodle/fork with each thread joined before the next one starts: the two
# lock orders exist, but the threads never run at the same time, so they
# cannot deadlock in this run (Thread.join is a join): a latent inversion,
# reported as such, that does not fail the run.
from threading import Thread, Lock

noodle_lock = Lock()
fork_lock = Lock()
lines = []


def eat1(name):
    with noodle_lock:
        with fork_lock:
            lines.append('%s eats with eat1' % name)


def eat2(name):
    with fork_lock:
        with noodle_lock:
            lines.append('%s eats with eat2' % name)


for name in ['nezha', 'egon', 'yuan']:
    for fn in (eat1, eat2):
        t = Thread(target=fn, args=(name,))
        t.start()
        t.join()
print('\n'.join(lines))
