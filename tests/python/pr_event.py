# The seed's Event: check() finds the network up, records it in the global
# `status` and sets the event; connect_db() waits for it and reads
# `status`: set -> wait orders them.  Clean.
import time
from threading import Event, Thread

e = Event()
status = 'unknown'
result = None


def check(e):
    global status
    time.sleep(0.05)
    status = 'up'
    e.set()


def connect_db(e):
    global result
    e.wait()
    result = 'connected while ' + status


t1 = Thread(target=connect_db, args=(e,))
t2 = Thread(target=check, args=(e,))
t1.start()
t2.start()
t1.join()
t2.join()
print(result)
