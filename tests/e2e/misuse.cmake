# Misuse of the pthread API: what a correct program may do (fork, then
# initialize again; a barrier destroyed by its serial thread) stays clean;
# each multi-thread misuse names the other thread and where; call errors
# name the call and the error; leaked threads; robust mutexes.
ls_test_programs(mu2_fork_reinit mu2_barrier_serial mu2_reinit mu2_thread_leak mu2_robust
          mu2_call_errors mu2_other_side mu2_sem_post_destroy
          mu2_cancel)

# libuv's threadpool after fork: the child's copies of the parent's four
# waiters and of a held mutex are gone once it initializes them again.
add_test(NAME e2e_mu2_fork_reinit_clean COMMAND ${RUN_CASE} --status 0 --findings 0
  --processes 2 --repeat 5 -- ${PR}/mu2_fork_reinit)
add_test(NAME e2e_mu2_fork_reinit_busy COMMAND ${RUN_CASE} --status 66 --count misuse=1
  --rule-count reinit-in-use=1
  --misuse reinit-in-use,call=pthread_cond_init,site=mu2_fork_reinit.c@reinit_busy,other_site=mu2_fork_reinit.c@worker_waits
  -- ${PR}/mu2_fork_reinit reinit-busy)

# The serial thread destroys the barrier while the others are still on their
# way out of pthread_barrier_wait: clean in every run (20 runs of 20 rounds).
add_test(NAME e2e_mu2_barrier_serial_destroy COMMAND ${RUN_CASE} --status 0 --findings 0
  --repeat 20 --host-same -- ${PR}/mu2_barrier_serial)

# The poster destroys a semaphore whose only waiter its post released:
# clean (the waiter is no longer blocked, only on its way out).
add_test(NAME e2e_mu2_sem_post_destroy COMMAND ${RUN_CASE} --status 0 --findings 0
  --repeat 5 --host-same -- ${PR}/mu2_sem_post_destroy)

# Waiters cancelled inside pthread_cond_wait and sem_wait wait no more:
# destroying both afterwards is clean.
add_test(NAME e2e_mu2_cancelled_waiters COMMAND ${RUN_CASE} --status 0 --findings 0
  --repeat 3 --host-same -- ${PR}/mu2_cancel)

# reinit-in-use for condvars, semaphores, barriers and spinlocks, with the
# thread that waits on it or holds it and where; initializing them again
# once unused is clean.
foreach(obj cond sem barrier spin)
  if(obj STREQUAL "cond")
    set(call pthread_cond_init)
    set(other cond_waits)
  elseif(obj STREQUAL "sem")
    set(call sem_init)
    set(other sem_waits)
  elseif(obj STREQUAL "barrier")
    set(call pthread_barrier_init)
    set(other barrier_waits)
  else()
    set(call pthread_spin_init)
    set(other spin_takes)
  endif()
  add_test(NAME e2e_mu2_reinit_${obj} COMMAND ${RUN_CASE} --status 66 --count misuse=1
    --misuse reinit-in-use,call=${call},other=T1,site=mu2_reinit.c@reinit,other_site=mu2_reinit.c@${other}
    -- ${PR}/mu2_reinit ${obj})
endforeach()
add_test(NAME e2e_mu2_reinit_clean COMMAND ${RUN_CASE} --status 0 --findings 0 --repeat 3
  --host-same -- ${PR}/mu2_reinit clean)

# A joinable thread that finished, neither joined nor detached at exit: one
# finding per creation site (not for a thread still running); none when
# every thread was joined or detached, nor when the process ends with abort
# or with _exit from a signal handler.
add_test(NAME e2e_mu2_thread_leak COMMAND ${RUN_CASE} --status 66 --count misuse=2
  --rule-count thread-leak=2
  --misuse thread-leak,call=pthread_create,site=mu2_thread_leak.c@leak_loop,reason=finished
  --misuse thread-leak,call=pthread_create,site=mu2_thread_leak.c@leak_quick
  -- ${PR}/mu2_thread_leak leak)
add_test(NAME e2e_mu2_thread_leak_clean COMMAND ${RUN_CASE} --status 0 --findings 0 --repeat 3
  --host-same -- ${PR}/mu2_thread_leak clean)
add_test(NAME e2e_mu2_thread_leak_abort COMMAND ${RUN_CASE} --status 134 --findings 0
  -- ${PR}/mu2_thread_leak abort)
add_test(NAME e2e_mu2_thread_leak_signal_exit COMMAND ${RUN_CASE} --status 3 --findings 0
  -- ${PR}/mu2_thread_leak signal-exit)

# Robust mutexes: recovered with pthread_mutex_consistent, clean (a thread
# ending holding one and the process exiting holding one are how they are
# used); unlocked after EOWNERDEAD without it, robust-inconsistent, and the
# next lock's ENOTRECOVERABLE a call-error.
add_test(NAME e2e_mu2_robust_correct COMMAND ${RUN_CASE} --status 0 --findings 0 --host-same
  -- ${PR}/mu2_robust correct)
add_test(NAME e2e_mu2_robust_no_consistent COMMAND ${RUN_CASE} --status 66 --count misuse=2
  --misuse robust-inconsistent,call=pthread_mutex_unlock,site=mu2_robust.c@unlock_owner_dead,locks=shared
  --misuse call-error,call=pthread_mutex_lock,error=ENOTRECOVERABLE,site=mu2_robust.c@lock_again
  --host-same -- ${PR}/mu2_robust no-consistent)

# call-error: every call whose error breaks what the program assumes, with
# the call and the error by name, reported once at its site; the same calls
# with their normal errors (ETIMEDOUT, EBUSY, EAGAIN) are clean.
foreach(spec
    "cond-timedwait-einval:pthread_cond_timedwait:EINVAL:1"
    "cond-wait-eperm:pthread_cond_timedwait:EPERM:2"
    "sem-init-einval:sem_init:EINVAL:1"
    "sem-post-overflow:sem_post:EOVERFLOW:1"
    "rwlock-edeadlk:pthread_rwlock_wrlock:EDEADLK:1"
    "rwlock-timed-einval:pthread_rwlock_timedrdlock:EINVAL:1"
    "barrier-init-einval:pthread_barrier_init:EINVAL:1"
    "join-self:pthread_join:EDEADLK:1"
    "join-detached:pthread_join:EINVAL:1"
    "detach-twice:pthread_detach:EINVAL:1"
    "create-eagain:pthread_create:EAGAIN:1"
    "mtx-timedlock-einval:mtx_timedlock:EINVAL:1"
    "thrd-join-detached:thrd_join:EINVAL:1")
  string(REPLACE ":" ";" parts ${spec})
  list(GET parts 0 case)
  list(GET parts 1 call)
  list(GET parts 2 err)
  list(GET parts 3 n)
  string(REPLACE "-" "_" mark ${case})
  add_test(NAME e2e_mu2_call_error_${case} COMMAND ${RUN_CASE} --status 66 --count misuse=${n}
    --rule-count call-error=1
    --misuse call-error,call=${call},error=${err},site=mu2_call_errors.c@${mark}
    -- ${PR}/mu2_call_errors ${case})
endforeach()
add_test(NAME e2e_mu2_not_a_semaphore COMMAND ${RUN_CASE} --status 66 --count misuse=1
  --misuse not-a-semaphore,call=sem_trywait,site=mu2_call_errors.c@not_a_semaphore
  -- ${PR}/mu2_call_errors not-a-semaphore)
add_test(NAME e2e_mu2_call_errors_clean COMMAND ${RUN_CASE} --status 0 --findings 0 --repeat 3
  --host-same -- ${PR}/mu2_call_errors clean)

# Each misuse that involves another thread names it and where it took the
# lock or waits on the object; cond-two-mutexes shows both mutexes.
foreach(spec
    "unlock-not-owner:t_takes_checked:checked:which T1 holds"
    "destroy-locked:t_takes_plain:plain:T1 holds it"
    "destroy-cond-waiters:t_cv_waits:cv:T1 waits on it"
    "destroy-in-use:t_sem_waits:sem:T1 waits on it"
    "cond-two-mutexes:t_waits_plain:other+plain:T1 waits on it with plain")
  string(REPLACE ":" ";" parts ${spec})
  list(GET parts 0 rule)
  list(GET parts 1 mark)
  list(GET parts 2 locks)
  list(GET parts 3 text)
  add_test(NAME e2e_mu2_other_side_${rule} COMMAND ${RUN_CASE} --status 66 --count misuse=1
    --misuse "${rule},other=T1,site=mu2_other_side.c@main_call,other_site=mu2_other_side.c@${mark},locks=${locks},reason=${text}"
    -- ${PR}/mu2_other_side ${rule})
endforeach()
# a semaphore's timed waiter is a waiter too
add_test(NAME e2e_mu2_other_side_destroy-in-use-timed COMMAND ${RUN_CASE} --status 66
  --count misuse=1
  --misuse "destroy-in-use,other=T1,site=mu2_other_side.c@main_call,other_site=mu2_other_side.c@t_sem_timedwaits"
  -- ${PR}/mu2_other_side destroy-in-use-timed)

# Python's threads are detached by CPython itself: one that finished without
# a join is no thread leak.
add_test(NAME e2e_mu2_python_threads_no_leak COMMAND ${RUN_CASE} --status 0 --count misuse=0
  -- ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/progs/mu2_py_threads.py)
