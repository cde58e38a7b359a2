# Python programs under CPython (tests/python/*.py, in the seed's style):
# Python locks, deadlocks and lock order reported with Python file:line.
# Debian's python3 is always tested; pyenv's 3.11.7, 3.12.1 and 3.13.0 when
# they are installed (the test is skipped with a message when not).
set(PY_CASE ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/py_case.py
    --lockscope $<TARGET_FILE:lockscope>)
set(PYS ${CMAKE_SOURCE_DIR}/tests/python)

# ls_py_test(NAME ARGS...): the test for Debian's python3 and, under
# NAME_3.X, for each pyenv interpreter.
function(ls_py_test name)
  add_test(NAME ${name} COMMAND ${PY_CASE} ${ARGN})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
  foreach(v 3.11.7 3.12.1 3.13.0)
    add_test(NAME ${name}_${v} COMMAND ${PY_CASE} --pyenv ${v} ${ARGN})
    set_tests_properties(${name}_${v} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
  endforeach()
endfunction()

# noodle/fork with the sleep: a deadlock of both locks, both threads named,
# each side's Python lines, the program ended (86) within 2 s of the hang
# (eat2 sleeps 1 s before it forms), linked to the lock-order cycle.
ls_py_test(e2e_py_noodle_deadlock --status 66 --kinds deadlock,lock-order-cycle
  --program-status 86 --related --locks fork_lock,noodle_lock
  --sites py_noodle_deadlock.py:12,py_noodle_deadlock.py:14,py_noodle_deadlock.py:22,py_noodle_deadlock.py:25
  --threads "Thread-1 (eat1),Thread-2 (eat2)" --within 4
  --stderr-has "lockscope: deadlock:" --stderr-has "native frames of the interpreter)"
  --sarif-at py_noodle_deadlock.py:14 --html-has "native frames of the interpreter"
  -- ${PYS}/py_noodle_deadlock.py)
# Without the sleep it usually finishes: the lock-order cycle, its four
# lines (on a busy machine it may really deadlock now and then: then that is
# reported too, and the program ended).
ls_py_test(e2e_py_noodle_cycle --status 66 --kinds lock-order-cycle
  --or-kinds deadlock,lock-order-cycle
  --locks fork_lock,noodle_lock
  --sites py_noodle_cycle.py:13,py_noodle_cycle.py:15,py_noodle_cycle.py:23,py_noodle_cycle.py:25
  --threads "Thread-1 (eat1),Thread-2 (eat2)" --created-at py_noodle_cycle.py:36,py_noodle_cycle.py:37
  -- ${PYS}/py_noodle_cycle.py)
# A Lock taken twice: a self-deadlock at the second acquire.
ls_py_test(e2e_py_selfdl --status 66 --kinds deadlock --program-status 86 --locks mutexA
  --sites py_selfdl.py:6,py_selfdl.py:7 --threads MainThread --within 5
  --stderr-has "self-deadlock"
  -- ${PYS}/py_selfdl.py)
# A lock bound to an attribute is named self.lock.
ls_py_test(e2e_py_self_attr --status 66 --kinds deadlock --program-status 86 --locks self.lock
  --sites py_self_attr.py:13,py_self_attr.py:18
  -- ${PYS}/py_self_attr.py)
# The seed's correct programs: clean in every run, output as natively.
foreach(p py_rlock py_rlock_twice py_semaphore py_event py_condition py_timer py_queue
          py_daemon py_pool)
  ls_py_test(e2e_${p} --clean --repeat 3 --host-same --status 0
    --scope python=checked -- ${PYS}/${p}.py)
endforeach()
# Interpreter options and modes.
ls_py_test(e2e_py_isolated --status 66 --kinds lock-order-cycle --or-kinds deadlock,lock-order-cycle --locks fork_lock,noodle_lock
  --sites py_noodle_cycle.py:13,py_noodle_cycle.py:25
  -- -I -S ${PYS}/py_noodle_cycle.py)
ls_py_test(e2e_py_module --status 66 --kinds lock-order-cycle --or-kinds deadlock,lock-order-cycle --locks fork_lock,noodle_lock
  --cwd ${PYS} -- -m py_noodle_cycle)
ls_py_test(e2e_py_command --clean --host-same --status 0
  -- -c "import threading; l = threading.Lock(); t = threading.Thread(target=lambda: l.acquire() or l.release()); t.start(); t.join(); print('ok')")
# A forked multiprocessing child is traced in its own file, clean.
ls_py_test(e2e_py_fork_child --clean --repeat 2 --host-same --status 0
  --scope python=checked -- ${PYS}/py_fork_child.py)
# A subinterpreter is left alone, with a note; the main one is checked.
ls_py_test(e2e_py_subinterp --clean --host-same --status 0
  --scope "python=partial:a subinterpreter ran" -- ${PYS}/py_subinterp.py)
# The shim's raw CPython offsets agree with every installed interpreter's
# internal headers.
add_test(NAME e2e_py_layout COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/py_layout.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_py_layout PROPERTIES SKIP_RETURN_CODE 77)
# CPython 3.13.1 and later: threading.Lock makes no libc call.  An
# executable that exports _PyRuntime and Py_Version like one: one line at
# start, and Python locks in the report's "not checked" list.
foreach(v 030d05f0 030e00f0)
  add_executable(py_fake_cpython_${v} ${CMAKE_SOURCE_DIR}/tests/progs/py_fake_cpython.c)
  target_compile_options(py_fake_cpython_${v} PRIVATE -O1 -g -DPY_FAKE_VERSION=0x${v})
  target_link_options(py_fake_cpython_${v} PRIVATE -rdynamic)
  target_link_libraries(py_fake_cpython_${v} PRIVATE Threads::Threads)
  set_target_properties(py_fake_cpython_${v} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/progs)
endforeach()
add_test(NAME e2e_py_pymutex_3_13_5 COMMAND ${RUN_CASE} --status 0 --findings 0 --host-same
  --stderr-has "lockscope: CPython 3.13.5 (its threading.Lock does not go through libc): Python locks, deadlocks, lock order and data races are not checked"
  --scope "python=not-checked:CPython 3.13.5"
  -- ${CMAKE_BINARY_DIR}/tests/progs/py_fake_cpython_030d05f0)
add_test(NAME e2e_py_pymutex_3_14 COMMAND ${RUN_CASE} --status 0 --findings 0 --host-same
  --stderr-has "lockscope: CPython 3.14.0 (its threading.Lock does not go through libc)"
  --scope "python=not-checked:CPython 3.14.0"
  -- ${CMAKE_BINARY_DIR}/tests/progs/py_fake_cpython_030e00f0)
# The GIL is passed through: CPU-bound threads leave it out of the profile.
ls_py_test(e2e_py_gil --clean --repeat 2 --host-same --status 0 --profile-has lock
  --profile-lacks _PyRuntime -- ${PYS}/py_gil.py)
# Exceptions raised and handled around lock calls are the program's own.
ls_py_test(e2e_py_exceptions --clean --repeat 2 --host-same --status 0 -- ${PYS}/py_exceptions.py)
# A forked thread's child ends when its last thread does (lockscope's own
# watchdog thread does not keep it alive).
ls_py_test(e2e_py_fork_thread --clean --repeat 2 --host-same --status 0 -- ${PYS}/py_fork_thread.py)
# Thread.join is a join: noodle/fork with each thread joined before the
# next starts has the two orders but cannot deadlock in this run (the
# threads never overlap): a latent inversion, which does not fail the run.
ls_py_test(e2e_py_noodle_joined --repeat 2 --host-same --status 0 --kinds lock-order-latent
  --locks noodle_lock,fork_lock
  --scope "lock-order=checked:1 cycle, 0 of them dismissed, 1 latent" -- ${PYS}/py_noodle_joined.py)
