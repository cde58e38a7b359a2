# The seed's ThreadPoolExecutor: the main thread sets `factor`, then
# submits tasks that read it; each task bumps `done` under a Lock; the main
# thread reads `done` after every Future.result().  submit -> task and
# task -> result() order them.  Clean.
import time
from threading import Lock
from concurrent.futures import ThreadPoolExecutor

factor = 0
done = 0
lock = Lock()


def func(i):
    global done
    r = i * factor
    with lock:
        done = done + 1
    return r


def back(fut):
    with lock:
        fut.result()


factor = 3
t = ThreadPoolExecutor(4)
futs = [t.submit(func, i) for i in range(40)]
print(sum(f.result() for f in futs), done)
factor = 5
print(sum(t.map(func, range(10))))
for i in range(10):
    t.submit(func, i).add_done_callback(back)
t.shutdown()
print(done)
with ThreadPoolExecutor(2) as ex:
    factor = 7
    print(sum(ex.map(func, range(5))))
