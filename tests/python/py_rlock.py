# The seed's fix for noodle/fork: one recursive lock for both,
# fork_lock = noodle_lock = RLock().  Nothing to report.
import time
from threading import Thread, RLock

fork_lock = noodle_lock = RLock()
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
    time.sleep(0.1)
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
