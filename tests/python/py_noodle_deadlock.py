# The seed's noodle/fork (scientists eating noodles): eat1 takes noodle_lock
# then fork_lock, eat2 takes fork_lock, sleeps holding it, then noodle_lock.
# With three names it deadlocks: lockscope must say so and end it (86).
import time
from threading import Thread, Lock

noodle_lock = Lock()
fork_lock = Lock()


def eat1(name):
    noodle_lock.acquire()
    print('%s got the noodles' % name)
    fork_lock.acquire()
    print('%s got the fork' % name)
    print('%s eats' % name)
    fork_lock.release()
    noodle_lock.release()


def eat2(name):
    fork_lock.acquire()
    print('%s got the fork' % name)
    time.sleep(1)
    noodle_lock.acquire()
    print('%s got the noodles' % name)
    print('%s eats' % name)
    noodle_lock.release()
    fork_lock.release()


for name in ['nezha', 'egon', 'yuan']:
    t1 = Thread(target=eat1, args=(name,))
    t2 = Thread(target=eat2, args=(name,))
    t1.start()
    t2.start()
