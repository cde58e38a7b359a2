# A module of the program (imported by pr_module.py): its global `hits` is
# raced on by the threads that call bump().
import time

hits = 0


def bump():
    global hits
    temp = hits
    time.sleep(0.02)
    hits = temp + 1
