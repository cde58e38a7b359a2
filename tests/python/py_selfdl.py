# The seed's Lock taken twice by one thread: the second acquire never
# returns (a Lock is not reentrant).
from threading import Lock

mutexA = Lock()
mutexA.acquire()
mutexA.acquire()
print('never printed')
