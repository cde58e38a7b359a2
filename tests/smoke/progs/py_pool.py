# The seed's concurrent.futures examples: ThreadPoolExecutor with map, with
# submit and result(), and with add_done_callback.
from concurrent.futures import ThreadPoolExecutor
from threading import Lock
import time


def func(i):
    time.sleep(0.001)
    return i ** 2


with ThreadPoolExecutor(5) as t:
    print('map', list(t.map(func, range(20))))

t = ThreadPoolExecutor(20)
ret_l = [t.submit(func, i) for i in range(20)]
t.shutdown()
print('submit', [r.result() for r in ret_l])

got = []
got_lock = Lock()


def back(fn):
    with got_lock:
        got.append(fn.result())


t = ThreadPoolExecutor(20)
for i in range(100):
    t.submit(func, i).add_done_callback(back)
t.shutdown()
print('callback', sum(got), len(got))
