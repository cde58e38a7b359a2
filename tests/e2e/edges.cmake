# The process's lock-order table: a cycle among 160,000 distinct edges, one
# through a pair seen in more contexts than the recording keeps, and one
# through a pair whose edges four threads made one after another.
ls_test_programs(ed_many ed_more ed_more_latent ed_handover)

add_test(NAME e2e_edges_many COMMAND ${RUN_CASE} --status 66 --count lock-order-cycle=1
  --findings 1 --locks hidden_a,hidden_b --host-same --timeout 120
  --scope "lock-order=checked:lock-order edges searched: 1 cycle"
  --sites ed_many.c:@a_first,@b_second,@b_first,@a_second -- ${PR}/ed_many)
add_test(NAME e2e_edges_more_contexts COMMAND ${RUN_CASE} --status 66 --repeat 3
  --count lock-order-cycle=1 --findings 1 --locks lock_a,lock_b --host-same
  --sites ed_more.c:@a_first,@b_second,@b_first,@a_second -- ${PR}/ed_more)
# The only context that makes the cycle one that can deadlock was not kept:
# latent, and the scope says why it may be more.
add_test(NAME e2e_edges_more_latent COMMAND ${RUN_CASE} --status 0
  --count lock-order-latent=1 --findings 1 --locks lock_a,lock_b
  --scope "lock-order=partial:not every instance of a lock-order edge was kept"
  -- ${PR}/ed_more_latent)
# Two threads meet every pair before and after they have a pair filter, and
# are joined; a third thread's edge of a pair is still kept, and makes the
# cycle with the fourth's reverse edge.  In the consistent order: nothing.
# (Lock order only: no watchpoints, whose traps are no part of what is
# checked here.)
add_test(NAME e2e_edges_handover COMMAND ${RUN_CASE} --status 66 --count lock-order-cycle=1
  --findings 1 --locks hidden_a,hidden_b --host-same --timeout 120
  --env LOCKSCOPE_OPTIONS=watch=0
  --sites ed_handover.c:@a_first,@b_second,@b_first,@a_second -- ${PR}/ed_handover)
add_test(NAME e2e_edges_handover_consistent COMMAND ${RUN_CASE} --status 0 --findings 0
  --host-same --timeout 120 --env LOCKSCOPE_OPTIONS=watch=0 -- ${PR}/ed_handover consistent)
