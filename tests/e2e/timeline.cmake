# The timeline (LOCKSCOPE_OPTIONS=timeline=N, lockscope --timeline FILE):
# the trace-event file is checked against the format's rules and loaded
# back (timeline_check.py); the HTML report's per-finding timelines.
ls_test_programs(tl_waits tl_crash tl_ring)

set(TL_CHECK ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/timeline_check.py
    --lockscope $<TARGET_FILE:lockscope>)

# The seed's deadlock, ended by lockscope (which of its threads deadlock
# varies): a thread holds each lock while it waits for the other,
# the deadlock marked on each, the cycle on the threads that made it.
add_test(NAME e2e_timeline_deadlock COMMAND ${TL_CHECK} --status 66
  --slice-over "*:noodle_lock:wait lock fork_lock"
  --slice-over "*:fork_lock:wait lock noodle_lock"
  --instants deadlock --instants lock-order-cycle --scope checked --html
  -- ${EX}/noodle_fork_deadlock)
# Every kind of wait, holds that do not nest, a recursive hold: a clean
# program, and clean in every run.
add_test(NAME e2e_timeline_waits COMMAND ${TL_CHECK} --status 0 --findings 0 --repeat 3
  --slice T1:hold:held_long --slice "T1:hold:read table"
  --slice "T2:wait:wait lock held_long" --slice "T2:wait:wait lock table"
  --slice "T2:wait:wait condvar ready_cv" --slice "T2:wait:wait semaphore tokens"
  --slice "T2:wait:wait condvar tick_cv"
  --slice "T2:wait:wait barrier meet" --slice "main:wait:wait join T1"
  --slice T2:hold:again --overlap T2:lock_a:lock_b --overlap "T1:held_long:read table"
  --scope checked --no-scope python -- ${PR}/tl_waits)
# Every kind of live deadlock and the stall: each dated, marked on every
# thread in it, drawn in the HTML.
add_test(NAME e2e_timeline_live_join COMMAND ${TL_CHECK} --status 66 --instants deadlock --html
  --slice "*:wait:wait join T1" -- ${PR}/dl_join)
add_test(NAME e2e_timeline_live_self COMMAND ${TL_CHECK} --status 66 --instants deadlock --html
  --slice "main:wait:wait lock mutexA" --slice main:hold:mutexA -- ${PR}/dl_self)
add_test(NAME e2e_timeline_live_spin COMMAND ${TL_CHECK} --status 66 --instants deadlock --html
  -- ${PR}/dl_spin)
add_test(NAME e2e_timeline_live_rwlock COMMAND ${TL_CHECK} --status 66 --instants deadlock
  --instants lock-order-cycle --html -- ${PR}/dl_rwlock_cycle)
add_test(NAME e2e_timeline_stall COMMAND ${TL_CHECK} --status 66
  --env LOCKSCOPE_OPTIONS=stall_ms=1000 --instants stall --html -- ${PR}/dl_stall)
# The seed's race: both accesses dated and marked, in the trace-event file
# and in the HTML.
add_test(NAME e2e_timeline_race COMMAND ${TL_CHECK} --status 66 --instants data-race --html
  -- ${EX}/counter_race)
# The scope lists say what ran: a Python interpreter is named as such, with
# what of it is not checked.
add_test(NAME e2e_timeline_scope_python COMMAND ${TL_CHECK} --status 0 --findings 0
  --check-scope "python=checked:Python locks followed" --scope checked
  -- ${Python3_EXECUTABLE} -c "import threading; t = threading.Thread(target=print); t.start(); t.join()")
# With deadlock=off the shim watches no wait, but the timeline still has
# the mutex and join waits.
add_test(NAME e2e_timeline_waits_unwatched COMMAND ${TL_CHECK} --status 0 --findings 0
  --env LOCKSCOPE_OPTIONS=deadlock=off
  --slice "T2:wait:wait lock held_long" --slice "main:wait:wait join T1"
  --slice "T2:wait:wait condvar ready_cv" --scope checked -- ${PR}/tl_waits)
# A fatal signal: the last events are in the trace all the same.
add_test(NAME e2e_timeline_crash COMMAND ${TL_CHECK} --status 139
  --slice main:hold:doomed_lock --slice "T1:wait:wait lock doomed_lock" -- ${PR}/tl_crash)
# A small ring keeps the last events only; the report says so.  Threads
# whose state is recycled have tracks of their own.
add_test(NAME e2e_timeline_ring COMMAND ${TL_CHECK} --status 0 --findings 0
  --env LOCKSCOPE_OPTIONS=timeline=64 --lost --max-events 64 --scope partial
  --slice T1:hold:busy_lock --slice T302:hold:busy_lock --slice T150:hold:busy_lock
  -- ${PR}/tl_ring)
# Without --timeline nothing is recorded, and the HTML says so.
add_test(NAME e2e_timeline_off COMMAND ${TL_CHECK} --status 0 --findings 0
  --no-timeline-option -- ${PR}/tl_ring)
set_tests_properties(e2e_timeline_deadlock e2e_timeline_waits e2e_timeline_crash
  e2e_timeline_race e2e_timeline_scope_python e2e_timeline_live_join e2e_timeline_live_self
  e2e_timeline_live_spin e2e_timeline_live_rwlock e2e_timeline_stall
  e2e_timeline_waits_unwatched
  e2e_timeline_ring e2e_timeline_off PROPERTIES TIMEOUT 300)

# The HTML report's timelines, rendered by headless Chromium (installed by
# the browser tests' fixture, tests/reports/need_tools.sh; skipped, with the
# reason, where there is none all the same); the screenshot is kept in the
# build tree: tests/timeline/report.png.
add_test(NAME e2e_timeline_html COMMAND ${Python3_EXECUTABLE}
  ${CMAKE_CURRENT_SOURCE_DIR}/timeline_html.py $<TARGET_FILE:lockscope> ${EX}/noodle_fork_deadlock
  ${CMAKE_BINARY_DIR}/tests/timeline/report.png)
set_tests_properties(e2e_timeline_html PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
  FIXTURES_REQUIRED chromium)
