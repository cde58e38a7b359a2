# The seed's Semaphore example (ktv), with threads: at most 5 of 100 threads
# are inside at once.
from threading import Semaphore, Thread, Lock
import time

sem = Semaphore(5)
lock = Lock()
inside = 0
most = 0
count = 0


def ktv(i):
    global inside, most, count
    with sem:
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.001)
        with lock:
            inside -= 1
            count += 1


ts = [Thread(target=ktv, args=(i,)) for i in range(100)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print('count', count, 'at most 5 inside:', most <= 5)
