# Costs kept off the program's path: a condvar or lock wait publishes its
# stacks from what the thread's last wait from the same call kept, checked
# against the stack; a process that never starts a thread pays almost nothing.
ls_test_programs(hot_cond_callers)

# The same wait call, at the same depth, reached through another caller:
# the stall shows the caller of now (second), not the kept one (first), for
# the wait and for the lock held across it.
add_test(NAME e2e_hot_cond_callers COMMAND ${RUN_CASE} --status 66 --timeout 20
  --env LOCKSCOPE_OPTIONS=stall_ms=300 --count stall=1 --stall
  --wait-stack hot_cond_callers.c:@wait,@second_call,-@first_call
  --wait-stack hot_cond_callers.c:@second_outer,-@first_outer=outer
  --stderr-has "lockscope: stall:" -- ${PR}/hot_cond_callers)

# The same for a lock wait, whose raw stack comes from the frames kept for
# the call: through another caller, the deadlock shows the caller of now.
ls_test_programs(hot_lock_callers)
add_test(NAME e2e_hot_lock_callers COMMAND ${RUN_CASE} --status 66 --timeout 20
  --count deadlock=1 --waits-for m,outer --stdout-lacks "finished"
  --wait-stack hot_lock_callers.c:@wait,@second_call,-@first_call
  --stderr-has "lockscope: deadlock:" -- ${PR}/hot_lock_callers)

# A process that starts no thread: clean, its output unchanged, its lock
# profiled (the first stack it needs is its first lock's).
ls_test_programs(hot_no_thread)
add_test(NAME e2e_hot_no_thread COMMAND ${RUN_CASE} --status 0 --findings 0 --host-same
  --stderr-lacks "warning" -- ${PR}/hot_no_thread)
