# The seed's queues: Queue (first in, first out), LifoQueue (last in,
# first out), PriorityQueue (lowest first), each filled by a producer and
# drained by a consumer thread.
from queue import Queue, LifoQueue, PriorityQueue
from threading import Thread


def run(q, items):
    got = []

    def producer():
        for x in items:
            q.put(x)

    def consumer():
        for _ in items:
            got.append(q.get())
            q.task_done()

    p = Thread(target=producer)
    p.start()
    p.join()
    c = Thread(target=consumer)
    c.start()
    q.join()
    c.join()
    return got


print(run(Queue(), [1, 2, 3, 4]))
print(run(LifoQueue(), [1, 2, 3, 4]))
print(run(PriorityQueue(), [(3, 'c'), (1, 'a'), (2, 'b')]))
q = Queue(maxsize=2)
out = []
cons = Thread(target=lambda: [out.append(q.get()) for _ in range(20)])
cons.start()
for i in range(20):
    q.put(i)
cons.join()
print(out == list(range(20)))
