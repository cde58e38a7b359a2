# The seed's noodle/fork (scientists eating noodles), without the sleep in
# eat2: eat1 takes noodle_lock then fork_lock, eat2 takes fork_lock then
# noodle_lock.  Without the sleep it almost never deadlocks, but lockscope
# follows Python's Lock (a POSIX semaphore inside CPython) and reports the
# lock-order cycle.
# The threads' lines are collected and printed sorted at the end, so that the
# output does not depend on the scheduling and can be compared byte for byte.
from threading import Thread, Lock

noodle_lock = Lock()
fork_lock = Lock()
lines = []


def eat1(name):
    noodle_lock.acquire()
    lines.append('%s got the noodles' % name)
    fork_lock.acquire()
    lines.append('%s got the fork' % name)
    lines.append('%s eats' % name)
    fork_lock.release()
    noodle_lock.release()


def eat2(name):
    fork_lock.acquire()
    lines.append('%s got the fork' % name)
    noodle_lock.acquire()
    lines.append('%s got the noodles' % name)
    lines.append('%s eats' % name)
    noodle_lock.release()
    fork_lock.release()


threads = []
for name in ['nezha', 'egon', 'yuan']:
    t1 = Thread(target=eat1, args=(name,))
    t2 = Thread(target=eat2, args=(name,))
    t1.start()
    t2.start()
    threads += [t1, t2]
for t in threads:
    t.join()
print('\n'.join(sorted(lines)))
