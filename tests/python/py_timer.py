# The seed's Timer: hello runs after 0.2 s in its own thread; a second
# timer is cancelled before it fires.
from threading import Timer


def hello():
    print("hello, world")


t = Timer(0.2, hello)
t.start()
c = Timer(5, hello)
c.start()
c.cancel()
t.join()
c.join()
