# Python-level data races (tests/python/pr_*.py): a module global raced on
# by Python threads is reported on the Python variable, both sides at their
# Python lines; correct programs (Python's own synchronization) are clean in
# every run.  Debian's python3 always; pyenv's 3.11.7, 3.12.1 and 3.13.0
# when installed (skipped with a message when not).
set(PYRACE_CASE ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/pyrace_case.py
    --lockscope $<TARGET_FILE:lockscope>)
set(PRS ${CMAKE_SOURCE_DIR}/tests/python)

function(ls_pyrace_test name)
  add_test(NAME ${name} COMMAND ${PYRACE_CASE} ${ARGN})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
  foreach(v 3.12.1 3.13.0)
    add_test(NAME ${name}_${v} COMMAND ${PYRACE_CASE} --pyenv ${v} ${ARGN})
    set_tests_properties(${name}_${v} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
  endforeach()
endfunction()

# The seed's race: 100 threads, `temp = n; sleep; n = temp - 1`.  Found in
# every run: the read at line 7 against the write at line 9, and the
# write/write pair, both threads by their Python names.
ls_pyrace_test(e2e_pyrace_counter --repeat 5 --race n@__main__ --only --read pr_counter.py:7
  --write pr_counter.py:9 --thread-prefix Thread- --min-accesses 100
  -- ${PRS}/pr_counter.py)
ls_pyrace_test(e2e_pyrace_counter_ww --race n@__main__ --write pr_counter.py:9
  --write pr_counter.py:9 -- ${PRS}/pr_counter.py)
# The seed's fixes: a Lock around the update; start() then join().
foreach(p pr_counter_lock pr_counter_join)
  ls_pyrace_test(e2e_pyrace_${p} --clean --repeat 10 --host-same --min-accesses 100
    -- ${PRS}/${p}.py)
endforeach()
# Python's own happens-before: Queue put -> get (a dict handed over),
# Event set -> wait, Condition notify -> wait, Semaphore, Timer start and
# join, ThreadPoolExecutor submit -> task -> Future.result().  Each rebinds
# module globals in one thread and reads them in another.
foreach(p pr_queue_dict pr_event pr_condition pr_semaphore pr_timer pr_pool pr_pool_queued)
  ls_pyrace_test(e2e_pyrace_${p} --clean --repeat 10 --host-same --min-accesses 2
    -- ${PRS}/${p}.py)
endforeach()
# The seed's own examples (tests/python/py_*.py): nothing reported.
foreach(p py_queue py_event py_condition py_semaphore py_timer py_pool)
  ls_pyrace_test(e2e_pyrace_seed_${p} --clean --repeat 10 --host-same
    -- ${PRS}/${p}.py)
endforeach()
# The module's dict grows while threads race (its entries move): the
# watchpoint follows the entry, and the race is found.
ls_pyrace_test(e2e_pyrace_resize --repeat 3 --race counter@__main__ --read pr_resize.py:13
  --write pr_resize.py:15 --min-accesses 60 -- ${PRS}/pr_resize.py)
# The garbage collector's reads of watched slots are not accesses.
ls_pyrace_test(e2e_pyrace_gc --clean --repeat 10 --host-same --min-accesses 10
  -- ${PRS}/pr_gc.py)
# Six candidates, four watchpoints: they take turns, and the race on `e`
# is found; a, b, c, d and f (one thread's) are not reported.
ls_pyrace_test(e2e_pyrace_rotate --repeat 3 --race e@__main__ --only --read pr_rotate.py:24
  --write pr_rotate.py:26 -- ${PRS}/pr_rotate.py)
# The seed's other telling, each thread printing its name first.
ls_pyrace_test(e2e_pyrace_counter_named --repeat 2 --race n@__main__ --only
  --read pr_counter_named.py:8 --write pr_counter_named.py:10 --thread-prefix Thread-
  -- ${PRS}/pr_counter_named.py)
# queue.SimpleQueue used by the program itself: its hand-offs make no libc
# call, so its Python races are not judged, and the report says why.
ls_pyrace_test(e2e_pyrace_simplequeue --clean --repeat 10 --host-same
  --scope-has "queue.SimpleQueue" -- ${PRS}/pr_simplequeue.py)
# A global of another module of the program (imported from the script's
# directory) is watched too, and named by its module.
ls_pyrace_test(e2e_pyrace_module --repeat 2 --race hits@pr_modcount --only
  --read pr_modcount.py:10 --write pr_modcount.py:12 -- ${PRS}/pr_module.py)
# A hot global always touched the same way makes its watchpoint sit out
# most of the time; a thread that touches it now and then, started later,
# still meets it watched (it is a thread the slot does not know yet), and
# its race with the hot threads is found.
ls_pyrace_test(e2e_pyrace_hot_late --repeat 3 --race count@__main__ --only
  --thread-prefix Thread- -- ${PRS}/pr_hot_late.py)
