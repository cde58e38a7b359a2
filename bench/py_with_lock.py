# A lock-heavy Python program: 4 threads, each taking one shared Lock
# N times (default 1,000,000) with `with lock:`.
import sys
from threading import Thread, Lock

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
lock = Lock()
count = 0


def work():
    global count
    for _ in range(n):
        with lock:
            count += 1


threads = [Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(count)
