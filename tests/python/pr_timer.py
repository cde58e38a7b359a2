# The seed's Timer: the main thread sets `greeting`, then starts a timer
# whose function reads it and sets `said`; the main thread joins the timer
# and prints `said`.  Clean.
from threading import Timer

greeting = None
said = None


def hello():
    global said
    said = greeting + ", world"


greeting = "hello"
t = Timer(0.05, hello)
t.start()
t.join()
print(said)
