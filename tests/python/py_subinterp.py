# A subinterpreter runs code that takes a Lock: lockscope leaves Python-level
# checking off there and says so; the main interpreter's locks are checked.
import threading
try:
    import _xxsubinterpreters as interpreters
except ImportError:
    import _interpreters as interpreters

main_lock = threading.Lock()
with main_lock:
    pass
interp = interpreters.create()
interpreters.run_string(interp, "import threading\nl = threading.Lock()\nwith l:\n    pass\n")
interpreters.destroy(interp)
print('done')
