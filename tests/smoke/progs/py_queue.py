# The seed's thread queues: a FIFO Queue between producers and consumers,
# then LifoQueue and PriorityQueue as in the seed.
from queue import Queue, LifoQueue, PriorityQueue
from threading import Thread

q = Queue(maxsize=8)
results = []


def producer(base):
    for i in range(200):
        q.put(base + i)


def consumer():
    total = 0
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            break
        total += item
        q.task_done()
    results.append(total)


consumers = [Thread(target=consumer) for _ in range(3)]
producers = [Thread(target=producer, args=(1000 * k,)) for k in range(4)]
for t in consumers + producers:
    t.start()
for t in producers:
    t.join()
for _ in consumers:
    q.put(None)
q.join()
for t in consumers:
    t.join()
print('fifo total', sum(results))

lq = LifoQueue(5)
for v in (123, 456, 'abc', 'def', 'ghi'):
    lq.put(v)
print([lq.get() for _ in range(5)])

pq = PriorityQueue()
for v in ((10, 'aaa'), (5, 'zzz'), (5, 'bbb'), (20, 'ccc')):
    pq.put(v)
print([pq.get() for _ in range(4)])
