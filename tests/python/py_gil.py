# Two CPU-bound threads: they hand the GIL back and forth all the time.
# The GIL is the interpreter's, not the program's: it is in no profile,
# and nobody waits on it.  The only lock of the program is `lock`.
from threading import Thread, Lock

lock = Lock()
totals = []


def spin(n):
    s = 0
    for i in range(n):
        s += i * i
    with lock:
        totals.append(s)


threads = [Thread(target=spin, args=(300000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(totals[0] == totals[1], len(totals))
