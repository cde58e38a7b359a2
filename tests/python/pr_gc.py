# The garbage collector reads every dict slot, the watched ones too, from
# whatever thread runs it: none of that is an access.  Workers read
# `table` under a Lock and the main thread rebinds it under the same Lock
# while collecting all the time.  Clean.
import gc
import threading

table = {'k': 0}
lock = threading.Lock()
stop = False


def reader():
    while True:
        with lock:
            if stop:
                return
            _ = table['k']
        gc.collect()


threads = [threading.Thread(target=reader) for _ in range(3)]
for t in threads:
    t.start()
for i in range(200):
    with lock:
        table = {'k': i}
    gc.collect()
with lock:
    stop = True
for t in threads:
    t.join()
print(table['k'])
