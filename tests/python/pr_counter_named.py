# The seed's other telling of the race: each thread prints its name, reads
# n, sleeps half a second and writes n - 1.  It prints n:99.
from threading import current_thread,Thread,Lock
import os,time
def task():
    global n
    print('%s is running' %current_thread().name)
    temp=n
    time.sleep(0.5)
    n=temp-1
if __name__ == '__main__':
    n=100
    lock=Lock()
    threads=[]
    start_time=time.time()
    for i in range(100):
        t=Thread(target=task)
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
    stop_time=time.time()
    print('n:%s' %n)
