# The seed's Condition: ten threads wait; the main thread lets them go a
# few at a time with notify(n).
import threading
from threading import Condition, Thread

con = Condition()
done = []


def func(con, i):
    with con:
        con.wait()
        done.append(i)


threads = [Thread(target=func, args=(con, i)) for i in range(10)]
for t in threads:
    t.start()
while True:
    with con:
        waiting = len(con._waiters)
    if waiting == 10:
        break
    threading.Event().wait(0.01)
for n in (3, 3, 4):
    with con:
        con.notify(n)
for t in threads:
    t.join()
print(sorted(done))
