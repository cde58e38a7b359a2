# Two threads update `count` under a Lock as fast as they can (a hot
# global, always touched the same way); a third one, started half a second
# later, updates it without the Lock now and then.  Its race with the
# locked updates is found, though the hot accesses keep the watchpoint
# sitting out most of the time.
import threading
import time

count = 0
lock = threading.Lock()
done = threading.Event()


def hot():
    global count
    while not done.is_set():
        with lock:
            count += 1


def late():
    global count
    for _ in range(30):
        temp = count
        time.sleep(0.01)
        count = temp + 1


hs = [threading.Thread(target=hot) for _ in range(2)]
for t in hs:
    t.start()
time.sleep(0.5)
t = threading.Thread(target=late)
t.start()
t.join()
done.set()
for t in hs:
    t.join()
print(count > 0)
