# The seed's Semaphore: at most two threads in the room at a time, and the
# count of visits kept under a Semaphore(1) used as a lock.  Clean.
import time
from threading import Semaphore, BoundedSemaphore, Thread

room = Semaphore(2)
guard = BoundedSemaphore(1)
visits = 0


def ktv(i):
    global visits
    with room:
        time.sleep(0.01)
        with guard:
            v = visits
            time.sleep(0.001)
            visits = v + 1


threads = [Thread(target=ktv, args=(i,)) for i in range(12)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(visits)
