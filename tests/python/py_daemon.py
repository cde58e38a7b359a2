# The seed's daemon thread: foo is a daemon, bar is not; the process waits
# for bar, not for foo.  The daemon is still blocked on its lock when the
# process ends.
import time
from threading import Thread, Lock

never = Lock()
never.acquire()


def foo():
    print(123)
    never.acquire()
    print("end123")


def bar():
    print(456)
    time.sleep(0.3)
    print("end456")


t1 = Thread(target=foo)
t2 = Thread(target=bar)
t1.daemon = True
t1.start()
time.sleep(0.1)
t2.start()
t2.join()
print("main-------")
