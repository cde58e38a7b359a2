# Python threads are detached by CPython itself: a daemon thread that
# finished without a join is no thread leak.
import threading, time
def work():
    pass
for _ in range(3):
    threading.Thread(target=work, daemon=True).start()
threading.Thread(target=work).start()
time.sleep(0.05)
print("done")
