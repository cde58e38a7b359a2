# The seed's Condition example: 20 threads wait on a condition until the main
# thread lets them go with notify_all.  (The seed's version can lose the
# notification if it comes before a thread waits; here they wait for a
# predicate, so every thread is released.)
from threading import Condition, Thread

con = Condition()
go = False
done = []


def func(i):
    with con:
        con.wait_for(lambda: go)
        done.append(i)


ts = [Thread(target=func, args=(i,)) for i in range(20)]
for t in ts:
    t.start()
with con:
    go = True
    con.notify_all()
for t in ts:
    t.join()
print('threading :', sorted(done))
