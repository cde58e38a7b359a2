# Threads race on `counter` while the main thread defines 300 new globals:
# the module's dict grows and its entries move; the watchpoint follows the
# entry, and the race is still found.
import threading
import time

counter = 0


def bump():
    global counter
    for _ in range(20):
        temp = counter
        time.sleep(0.005)
        counter = temp + 1


threads = [threading.Thread(target=bump) for _ in range(3)]
for t in threads:
    t.start()
for i in range(300):
    globals()['g%d' % i] = i
for t in threads:
    t.join()
print(counter <= 60)
