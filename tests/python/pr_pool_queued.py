# ThreadPoolExecutor with the work queued ahead of the workers: a worker
# takes an item from the SimpleQueue without any libc call, and reads the
# `factor` the main thread set before submit().  Clean.
from concurrent.futures import ThreadPoolExecutor
factor = 0
def func(i):
    return i * factor
ex = ThreadPoolExecutor(4)
tot = 0
for rnd in range(30):
    factor = rnd
    futs = [ex.submit(func, i) for i in range(20)]
    tot += sum(f.result() for f in futs)
ex.shutdown()
print(tot)
