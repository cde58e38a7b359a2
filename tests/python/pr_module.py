# The race is on a global of another module of the program, pr_modcount:
# reported as Python global `hits` of module `pr_modcount`.
import threading

import pr_modcount

ts = [threading.Thread(target=pr_modcount.bump) for _ in range(5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(pr_modcount.hits)
