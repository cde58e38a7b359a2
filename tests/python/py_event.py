# The seed's Event: connect_db waits until check has found the network up,
# with a timeout and retries.
import time
from threading import Event, Thread

e = Event()
lines = []


def check(e):
    time.sleep(0.2)
    e.set()


def connect_db(e):
    count = 0
    while count < 10:
        if e.wait(0.05):
            lines.append('connected')
            return
        count += 1
    lines.append('gave up')


t1 = Thread(target=check, args=(e,))
t2 = Thread(target=connect_db, args=(e,))
t1.start()
t2.start()
t1.join()
t2.join()
e2 = Event()
waiter = Thread(target=e2.wait)
waiter.start()
e2.set()
waiter.join()
print(lines[0])
