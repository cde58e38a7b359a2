# The seed's n -= 1 with a Lock around it: 100 threads each do
# temp = n; sleep; n = temp - 1 while holding the lock.  Prints 0.
# (The seed sleeps 0.1 s in each; 1 ms keeps the run short.)
from threading import Thread, Lock
import time


def work():
    global n
    lock.acquire()
    temp = n
    time.sleep(0.001)
    n = temp - 1
    lock.release()


if __name__ == '__main__':
    lock = Lock()
    n = 100
    l = []
    for i in range(100):
        p = Thread(target=work)
        l.append(p)
        p.start()
    for p in l:
        p.join()
    print(n)
