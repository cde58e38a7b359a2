# The seed's noodle/fork without the sleep in eat2: eat1 takes noodle_lock
# then fork_lock, eat2 fork_lock then noodle_lock.  It almost never hangs,
# but the two orders are a lock-order cycle.  The lines are printed sorted
# at the end, so that the output does not depend on the scheduling.
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
