# A compute-heavy threaded Python program: 4 threads count primes by
# trial division, reading the module globals LIMIT and STEP in their inner
# loop (a watched global read millions of times) and adding their count to
# `total` under a Lock: the numbers below N (default 60,000), a quarter each.
import sys
from threading import Thread, Lock

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 60000
STEP = 1
total = 0
lock = Lock()


def work(k):
    global total
    found = 0
    n = 2 + k
    while n < LIMIT:
        d = 2
        prime = True
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += STEP
        found += prime
        n += 4
    with lock:
        total += found


threads = [Thread(target=work, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(total)
