# The sync objects' own lifetime: an init or destroy that happens-before
# does not order against another thread's use is a data race on the object,
# judged at every call (not sampled): found in every run, and correct
# lifetimes clean in every run.
ls_test_programs(sl_init_race sl_barrier sl_clean)

# Each race ten runs in a row; the finding names the object, both calls and
# both threads.
foreach(spec
    "init-first:m:init:use:mutex `m`"
    "use-first:m:init:use:mutex `m`"
    "heap:hm:heap_init:heap_use:(heap)"
    "cond:cv:cond_init:signal:condition variable `cv`"
    "rwlock:rw:rwlock_init:rdlock:rwlock `rw`"
    "sem:sem:sem_init:trywait:semaphore `sem`"
    "destroy:hm:heap_destroy:heap_first:(heap)")
  string(REPLACE ":" ";" parts "${spec}")
  list(GET parts 0 mode)
  list(GET parts 2 wmark)
  list(GET parts 3 omark)
  list(GET parts 4 desc)
  add_test(NAME e2e_sl_init_race_${mode} COMMAND ${RUN_CASE} --status 66 --count data-race=1
    --findings 1 --repeat 10 --scope "sync-lifetime=checked:1 race"
    --sync-race "desc=${desc},write=sl_init_race.c@${wmark},other=sl_init_race.c@${omark},write_thread=main,other_thread=T1"
    -- ${PR}/sl_init_race ${mode})
endforeach()

# pthread_barrier_init racing with pthread_barrier_wait, and a barrier
# destroyed while another thread is still inside it: a race on the barrier
# (not misuse destroy-in-use), the same in every run.
add_test(NAME e2e_sl_barrier_init_race COMMAND ${RUN_CASE} --status 66 --count data-race=1
  --findings 1 --repeat 10
  --sync-race "desc=barrier `bar`,write=sl_barrier.c@init,other=sl_barrier.c@wait,other_thread=T1"
  -- ${PR}/sl_barrier init-race)
add_test(NAME e2e_sl_barrier_destroy_inside COMMAND ${RUN_CASE} --status 66 --count data-race=1
  --count misuse=0 --findings 1 --repeat 10
  --sync-race "desc=barrier `bar`,write=sl_barrier.c@destroy,other=sl_barrier.c@wait,write_thread=T2,other_thread=T1"
  -- ${PR}/sl_barrier destroy-inside)

# Correct lifetimes: init -> create -> use -> join -> destroy, initialized
# again after the joins, heap objects destroyed and their memory initialized
# again, static initializers, a hand-off through a mutex, fork: clean, ten
# runs each, with the check said to have run.
foreach(mode ordered reinit reuse static handoff fork)
  add_test(NAME e2e_sl_clean_${mode} COMMAND ${RUN_CASE} --status 0 --findings 0 --repeat 10
    --scope "sync-lifetime=checked:0 races" --host-same -- ${PR}/sl_clean ${mode})
endforeach()
