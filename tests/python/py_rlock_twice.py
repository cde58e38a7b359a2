# The seed's RLock taken twice by one thread: an RLock lets its holder in
# again.  Nothing to report.
from threading import RLock as Lock

mutexA = Lock()
mutexA.acquire()
mutexA.acquire()
print(123)
mutexA.release()
mutexA.release()
