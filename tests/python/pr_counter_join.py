# The seed's other fix: start() immediately followed by join(), so the
# threads run one after the other.  It prints 0.
from threading import current_thread,Thread,Lock
import os,time
def task():
    time.sleep(0.01)
    print('%s start to run' %current_thread().name)
    global n
    temp=n
    time.sleep(0.01)
    n=temp-1
if __name__ == '__main__':
    n=100
    lock=Lock()
    start_time=time.time()
    for i in range(100):
        t=Thread(target=task)
        t.start()
        t.join()
    stop_time=time.time()
    print('n:%s' %n)
