# Lock order beyond this run's schedule (latent inversions), cycles of any
# length, and finding ids and suppressions precise to each finding's sites
# (tests/e2e/order_case.py).
set(ORDER_PROGS lo2_one_thread lo2_recreated lo2_never_overlap lo2_gated_one_thread
                lo2_timed_one_thread lo2_ring lo2_superset)
ls_test_programs(${ORDER_PROGS})

set(ORDER_CASE ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/order_case.py
    --lockscope $<TARGET_FILE:lockscope> --src-dir ${CMAKE_SOURCE_DIR})

# Latent inversions: reported with both stacks of each edge, labelled in
# every format, not failing the run unless --fail-on names them.
set(ORDER_LATENT_CHECKS --count lock-order-latent=1 --count *=1
  --locks lock-order-latent=lock_a,lock_b --severity lock-order-latent=warning
  --fails lock-order-latent=0 --sarif-level lock-order-latent=warning
  --junit-has "not failing (--fail-on): latent lock-order inversion"
  --html-has "latent lock-order inversion" --html-has "lock-order-latent"
  --stderr-has "WARNING: lockscope: latent lock-order inversion"
  --stderr-has "Latent: no two threads took these locks in opposite orders at the same time in this run"
  --stderr-has "it deadlocks when they do."
  --stderr-has "It does not fail the run: --fail-on does not include lock-order-latent")
add_test(NAME e2e_order_latent_one_thread COMMAND ${ORDER_CASE} --status 0 ${ORDER_LATENT_CHECKS}
  --sites lock-order-latent=lo2_one_thread.c:@a_first,@b_second,@b_first,@a_second
  --stderr-has "one thread, at different times" -- ${PR}/lo2_one_thread)
add_test(NAME e2e_order_latent_recreated COMMAND ${ORDER_CASE} --status 0 ${ORDER_LATENT_CHECKS}
  --sites lock-order-latent=lo2_recreated.c:@a_first,@b_second,@b_first,@a_second
  -- ${PR}/lo2_recreated)
add_test(NAME e2e_order_latent_never_overlap COMMAND ${ORDER_CASE} --status 0
  ${ORDER_LATENT_CHECKS}
  --sites lock-order-latent=lo2_never_overlap.c:@a_first,@b_second,@b_first,@a_second
  --stderr-has "never while the other threads of the cycle ran" -- ${PR}/lo2_never_overlap)
# --fail-on that names the kind makes it fail the run; "all" alone does not.
add_test(NAME e2e_order_latent_fail_on COMMAND ${ORDER_CASE} --status 66
  --lockscope-arg=--fail-on=all,lock-order-latent --count lock-order-latent=1
  --fails lock-order-latent=1 -- ${PR}/lo2_one_thread)
add_test(NAME e2e_order_latent_fail_on_all COMMAND ${ORDER_CASE} --status 0
  --lockscope-arg=--fail-on=all --count lock-order-latent=1 --fails lock-order-latent=0
  -- ${PR}/lo2_one_thread)
# A gate held across both orders, or a timed acquisition: still dismissed.
add_test(NAME e2e_order_latent_gated COMMAND ${ORDER_CASE} --status 0 --count *=0 --repeat 3
  -- ${PR}/lo2_gated_one_thread)
add_test(NAME e2e_order_latent_timed COMMAND ${ORDER_CASE} --status 0 --count *=0 --repeat 3
  -- ${PR}/lo2_timed_one_thread)

# Long cycles: one finding through all N mutexes, an error (the threads
# overlap); beyond the longest searched, the report says what is missing.
foreach(n 5 10 20 30)
  add_test(NAME e2e_order_ring_${n} COMMAND ${ORDER_CASE} --status 66
    --count lock-order-cycle=1 --count *=1 --cycle-len lock-order-cycle=${n}
    --scope "lock-order=checked:all cycles of up to 64 locks" -- ${PR}/lo2_ring ${n})
endforeach()
add_test(NAME e2e_order_ring_too_long COMMAND ${ORDER_CASE} --status 0 --count *=0
  --scope "lock-order=partial:cycles longer than 64 locks were not searched"
  --stderr-has "cycles longer than 64 locks were not searched" -- ${PR}/lo2_ring 70)
# The smallest cycle through a set of locks, once: not its supersets.
add_test(NAME e2e_order_superset COMMAND ${ORDER_CASE} --status 66 --count *=1
  --locks lock-order-cycle=lock_a,lock_b -- ${PR}/lo2_superset)

# Finding ids from each finding's own sites: two programs, two sites each,
# four ids; the same program again, the same ids.
ls_test_programs(lo2_ids_exit_a lo2_ids_exit_b lo2_wrapper)
add_test(NAME e2e_order_ids_exit COMMAND ${ORDER_CASE} --status 66 --count misuse=2
  --count *=2 --ids-distinct 2 --same-ids --suppress-each --no-main-suppression
  --other ${PR}/lo2_ids_exit_b -- ${PR}/lo2_ids_exit_a)
add_test(NAME e2e_order_ids_exit_main COMMAND ${ORDER_CASE} --status 66 --count misuse=2
  --count *=2 --ids-distinct 2 --same-ids --suppress-each --no-main-suppression
  --stderr-has "misuse.held-at-process-exit:lo2_ids_exit_b.c:"
  --other ${PR}/lo2_ids_exit_a -- ${PR}/lo2_ids_exit_b)
# Two misuses through one thin wrapper from two callers: two findings, and
# each one's suggested suppression names its caller and its lock, hiding it
# and not the other.
add_test(NAME e2e_order_wrapper COMMAND ${ORDER_CASE} --status 66 --count misuse=2 --count *=2
  --ids-distinct 2 --same-ids --suppress-each --no-main-suppression
  --stderr-has "misuse.unlock-not-locked:caller_one&lock_one"
  --stderr-has "misuse.unlock-not-locked:caller_two&lock_two" -- ${PR}/lo2_wrapper)
# The suggestions of the latent and long cycles: accepted, and narrow.
add_test(NAME e2e_order_suppress_cycles COMMAND ${ORDER_CASE} --status 0
  --count lock-order-latent=1 --suppress-each
  --stderr-has "deadlock.lock-order-latent:" -- ${PR}/lo2_never_overlap)

# What the reports say was checked is what was: C11 threads are followed.
add_test(NAME e2e_order_scope_c11 COMMAND ${ORDER_CASE} --count lock-order-cycle=1
  --checked-has "synchronization followed (pthread, C11 threads, C++ std::): 3 mutexes"
  --not-checked-lacks "C11" --not-checked-lacks "mtx_"
  -- ${PR}/c11_threads)
