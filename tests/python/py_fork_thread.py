# A thread forks.  In the child the forking thread is the only one: it
# waits on an Event (which another thread of the child sets) and then
# returns, and the child ends when its last thread does, as natively.
# The parent waits for the child at most 20 s.
import os
import sys
import threading
import time


def child_work():
    e = threading.Event()
    t = threading.Thread(target=lambda: (time.sleep(0.05), e.set()))
    t.start()
    e.wait()
    t.join()
    print('child done')
    sys.stdout.flush()


def worker():
    pid = os.fork()
    if pid == 0:
        child_work()
        return  # the child's last thread ends here
    for _ in range(400):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print('child exited', os.waitstatus_to_exitcode(status))
            return
        time.sleep(0.05)
    print('child still running')
    os.kill(pid, 9)
    os.waitpid(pid, 0)


w = threading.Thread(target=worker)
w.start()
w.join()
