# A producer hands dicts to a consumer through queue.Queue.  Before each
# put it also rebinds the module globals `last_sent` and `batch`; the
# consumer reads them after its get, then acknowledges through a second
# queue before the producer writes them again: put -> get and the ack
# order every write and read.  Clean.
import queue
import threading

q = queue.Queue()
acks = queue.Queue()
last_sent = None
batch = 0
seen = []


def producer():
    global last_sent, batch
    for i in range(50):
        item = {'id': i, 'payload': 'x' * i}
        last_sent = item
        batch = i
        q.put(item)
        acks.get()
    q.put(None)


def consumer():
    while True:
        item = q.get()
        if item is None:
            break
        seen.append(last_sent is item and batch == item['id'])
        acks.put(True)


c = threading.Thread(target=consumer, name='consumer')
p = threading.Thread(target=producer, name='producer')
c.start()
p.start()
p.join()
c.join()
batch = -1
print(len(seen), all(seen))
