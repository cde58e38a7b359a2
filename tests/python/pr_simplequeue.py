# A producer hands `box` to a consumer through queue.SimpleQueue, with an
# acknowledgement back: correct, but SimpleQueue passes an item that is
# already there without any libc call, so lockscope cannot see the order.
# It says so and reports nothing rather than a race that is not there.
import queue
import threading

sq = queue.SimpleQueue()
acks = queue.SimpleQueue()
box = None


def producer():
    global box
    for i in range(50):
        box = i
        sq.put(i)
        acks.get()
    sq.put(None)


def consumer():
    while True:
        i = sq.get()
        if i is None:
            break
        assert box == i
        acks.put(1)


c = threading.Thread(target=consumer)
p = threading.Thread(target=producer)
c.start()
p.start()
p.join()
c.join()
print('ok')
