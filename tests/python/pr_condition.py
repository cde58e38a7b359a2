# The seed's Condition: workers wait until the main thread has prepared
# `work` under the condition and notified them; each takes its share
# under the condition too.  Clean.
from threading import Condition, Thread

con = Condition()
work = None
taken = 0


def func(i):
    global taken
    with con:
        while work is None:
            con.wait()
        taken = taken + 1


threads = [Thread(target=func, args=(i,)) for i in range(10)]
for t in threads:
    t.start()
with con:
    work = list(range(10))
    con.notify_all()
for t in threads:
    t.join()
print(taken)
