# The seed's Semaphore: at most 3 of 8 "ktv" guests at once.
import time
from threading import Thread, Semaphore, Lock

sem = Semaphore(3)
count_lock = Lock()
inside = 0
most = 0


def ktv(i):
    global inside, most
    with sem:
        with count_lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.02)
        with count_lock:
            inside -= 1


threads = [Thread(target=ktv, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print('at most', most, 'inside at once')
