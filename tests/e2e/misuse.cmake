# Misuse of the pthread API: what a correct program may do (fork, then
# initialize again; a barrier destroyed by its serial thread) stays clean;
# each multi-thread misuse names the other thread and where; call errors
# name the call and the error; leaked threads; robust mutexes.
foreach(p mu2_fork_reinit mu2_barrier_serial mu2_reinit)
  add_executable(${p} ${CMAKE_SOURCE_DIR}/tests/progs/${p}.c)
  target_compile_options(${p} PRIVATE -O1 -g)
  target_link_libraries(${p} PRIVATE Threads::Threads)
  set_target_properties(${p} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/progs)
endforeach()

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
