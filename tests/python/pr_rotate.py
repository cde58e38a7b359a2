# More candidates than debug registers: one thread updates a, b, c, d and
# f (only it does), two others race on e.  The six take turns on the four
# watchpoints, and the race on e is found.
import threading
import time

a = b = c = d = e = f = 0


def touch():
    global a, b, c, d, f
    for _ in range(40):
        a += 1
        b += 1
        c += 1
        d += 1
        f += 1
        time.sleep(0.01)


def race():
    global e
    for _ in range(40):
        temp = e
        time.sleep(0.01)
        e = temp + 1


ts = [threading.Thread(target=touch)] + [threading.Thread(target=race) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(e)
