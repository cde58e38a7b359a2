# The seed's Event example: connect_db waits (with a timeout, retrying) until
# check() has set the event; then the seed's Timer.
import time
from threading import Event, Thread, Timer

out = []


def check(e):
    out.append('checking the network between the two machines ...')
    time.sleep(0.2)
    e.set()


def connect_db(e):
    n = 0
    while n < 10:
        if e.is_set():
            break
        e.wait(0.05)
        n += 1
    if not e.is_set():
        raise TimeoutError
    out.append('connecting to the database ... connected')


e = Event()
ts = [Thread(target=connect_db, args=(e,)), Thread(target=check, args=(e,))]
for t in ts:
    t.start()
for t in ts:
    t.join()
print('\n'.join(sorted(out)))


def hello():
    print("hello, world")


t = Timer(0.1, hello)
t.start()
t.join()
