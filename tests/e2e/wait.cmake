# Waits that keep the program's semantics (the waiting thread blocks in the
# real call; the watchdog finds cycles and stalls): writer-preferring
# rwlocks, orphaned locks, timed and clock rwlock requests.
ls_test_programs(wt_rw_prefer_writer wt_rw_writer_cycle wt_orphan_join wt_orphan_main
          wt_rw_timed_cycle wt_rw_prefer_writer_clean wt_rw_writer_order wt_orphan_rescued)

# Natively this hangs every time (the second read queues behind the
# writer): it must not finish (status 0) but be reported and ended.
add_test(NAME e2e_wait_prefer_writer COMMAND ${RUN_CASE} --status 66 --timeout 20
  --count deadlock=1 --waits-for table_lock,table_lock
  --stderr-has "lockscope: deadlock:" --stderr-has "status 86" --stdout-lacks "finished"
  -- ${PR}/wt_rw_prefer_writer)
# Four threads, two writer-preferring rwlocks, no mutex: each reader queues
# behind a writer that waits for the other reader.
add_test(NAME e2e_wait_writer_cycle COMMAND ${RUN_CASE} --status 66 --timeout 20
  --count deadlock=1 --count lock-order-cycle=1 --related
  --waits-for index_lock,index_lock,store_lock,store_lock
  --stderr-has "lockscope: deadlock:" -- ${PR}/wt_rw_writer_cycle)
# Stalls made of lock and join waits only, on a lock whose holder exited.
add_test(NAME e2e_wait_orphan_join COMMAND ${RUN_CASE} --status 66 --timeout 20
  --count stall=1 --count misuse=1 --stall --waits-for orphan,join,exited
  --orphan orphan=wt_orphan_join.c:@taken
  --stderr-has "lockscope: stall:" --stderr-has "status 86" -- ${PR}/wt_orphan_join)
add_test(NAME e2e_wait_orphan_main COMMAND ${RUN_CASE} --status 66 --timeout 20
  --count stall=1 --count misuse=1 --stall --waits-for orphan,exited
  --orphan orphan=wt_orphan_main.c:@taken
  --stderr-has "lockscope: stall:" -- ${PR}/wt_orphan_main)
# An orphaned lock while another thread can still act (and does): only the
# misuse is reported (T1 ended holding it; main's unlock of a lock whose
# owner is gone is that same fault, not a second one), no stall, and the
# program completes.
add_test(NAME e2e_wait_orphan_rescued COMMAND ${RUN_CASE} --status 66 --timeout 20
  --count stall=0 --count deadlock=0 --count misuse=1 --rule exit-holding-locks --host-same
  -- ${PR}/wt_orphan_rescued)
# Timed and clock rwlock requests are in the wait-for graph: a deadline an
# hour away is caught like a plain request, within a second or two.
foreach(m timedwr clockwr timedrd clockrd)
  add_test(NAME e2e_wait_rwlock_${m} COMMAND ${RUN_CASE} --status 66 --timeout 5
    --count deadlock=1 --waits-for rw_lock,b_lock --stderr-has "lockscope: deadlock:"
    -- ${PR}/wt_rw_timed_cycle ${m})
endforeach()
# Readers and writers taking turns correctly, timed writers backing off:
# clean and complete in every run, with the program's own output.
add_test(NAME e2e_wait_prefer_writer_clean COMMAND ${RUN_CASE} --status 0 --findings 0
  --repeat 4 --timeout 60 --host-same -- ${PR}/wt_rw_prefer_writer_clean)
# Lock order: read-to-read cycles cannot deadlock on default rwlocks, but
# can on writer-preferring ones that writers ask for (whether or not a
# writer had to queue in this run).
add_test(NAME e2e_wait_writer_order COMMAND ${RUN_CASE} --status 66 --findings 1
  --kind lock-order-cycle --locks index_lock,store_lock
  --sites wt_rw_writer_order.c:@index_then,@store_second,@store_then,@index_second
  --stderr-has "prefers writers" --host-same -- ${PR}/wt_rw_writer_order)
add_test(NAME e2e_wait_writer_order_default COMMAND ${RUN_CASE} --status 0 --findings 0
  --host-same -- ${PR}/wt_rw_writer_order default)
add_test(NAME e2e_wait_writer_order_main_writes COMMAND ${RUN_CASE} --status 66 --findings 1
  --kind lock-order-cycle --locks index_lock,store_lock --host-same
  -- ${PR}/wt_rw_writer_order main-writes)
