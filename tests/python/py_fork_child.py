# A forked multiprocessing child: the parent has threads and locks when it
# forks; the child takes its own locks in its own threads.  Nothing to
# report; the child's output comes back through a pipe.
import multiprocessing as mp
from threading import Thread, Lock

lock = Lock()
total = []


def add(n):
    with lock:
        total.append(n)


def child(q):
    threads = [Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q.put(sorted(total))


if __name__ == '__main__':
    workers = [Thread(target=add, args=(i,)) for i in range(10, 13)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    ctx = mp.get_context('fork')
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,))
    p.start()
    print(q.get())
    p.join()
    print(p.exitcode, sorted(total))
