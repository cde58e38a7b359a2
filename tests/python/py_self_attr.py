# A lock bound to an attribute (self.lock) and one that is bound to nothing
# (a list element): the first is named self.lock, the second by the line
# that made it.  The account's lock is taken twice: a self-deadlock.
from threading import Lock


class Account:
    def __init__(self):
        self.lock = Lock()
        self.balance = 0

    def deposit(self, n):
        with self.lock:
            self.balance += n
            self.audit()

    def audit(self):
        with self.lock:
            print(self.balance)


locks = [Lock()]
with locks[0]:
    print('unnamed lock taken')
Account().deposit(1)
