# The seed's ThreadPoolExecutor: map, submit and result, callbacks,
# shutdown.
import time
from threading import Lock
from concurrent.futures import ThreadPoolExecutor

results_lock = Lock()
called = []


def func(i):
    time.sleep(0.01)
    return i * i


def back(fut):
    with results_lock:
        called.append(fut.result())


t = ThreadPoolExecutor(4)
print(list(t.map(func, range(10))))
futs = [t.submit(func, i) for i in range(10)]
print([f.result() for f in futs])
for i in range(10):
    t.submit(func, i).add_done_callback(back)
t.shutdown()
print(sorted(called))
with ThreadPoolExecutor(2) as ex:
    print(sum(ex.map(func, range(5))))
