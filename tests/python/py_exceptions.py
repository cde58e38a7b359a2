# Locks taken while an exception is being handled, and an exception raised
# inside `with lock:`: the program sees exactly the exceptions it would
# natively (lockscope's calls into the interpreter leave none set and clear
# none).
import sys
import threading

a = threading.Lock()
b = threading.RLock()
out = []


def work(i):
    try:
        with a:
            raise ValueError('boom %d' % i)
    except ValueError as e:
        with b:
            with b:
                out.append((str(e), sys.exc_info()[0].__name__))
    try:
        with a:
            {}['missing']
    except KeyError as e:
        out.append(('key', repr(e)))


threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(out))
print(sys.exc_info())
