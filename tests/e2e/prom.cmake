# Promises kept: races judged beside a hot _Atomic global, hold times,
# what the shim warns about, and clean runs of the rarer pthread calls.
# Included from tests/e2e/CMakeLists.txt (RUN_CASE, PR, PROGS_SRC).

# Race programs, built as users build them.
foreach(p pr_hot_atomic)
  ls_user_program(${p} ${PR} SOURCES ${PROGS_SRC}/${p}.c)
endforeach()

# A hot _Atomic counter the rate limit sets aside does not turn race
# checking off: the race on `plain` after it is found in every run, the
# race beside it is found or said to be judged only in part, and the
# locked version is clean with `plain` sampled.
add_test(NAME e2e_prom_hot_atomic_race_after COMMAND ${RUN_CASE} --repeat 3 --status 66
  --kind data-race --race-var plain --race-sites pr_hot_atomic.c:@write
  -- ${PR}/pr_hot_atomic after)
add_test(NAME e2e_prom_hot_atomic_race_together COMMAND ${RUN_CASE} --kind data-race
  --stderr-has "lockscope: note: data races on global variables, in part: "
  --scope "data-race=partial:aside while they were made or between them"
  -- ${PR}/pr_hot_atomic together)
add_test(NAME e2e_prom_hot_atomic_clean COMMAND ${RUN_CASE} --repeat 3 --status 0 --findings 0
  --sampled plain:w --stderr-lacks "lockscope: note:" -- ${PR}/pr_hot_atomic clean)
set_tests_properties(e2e_prom_hot_atomic_race_after e2e_prom_hot_atomic_clean
  PROPERTIES TIMEOUT 120)

# The text report says when races were not checked, and why, not only the
# JSON report's scope: the kernel refused watchpoints, or watch=0.
add_test(NAME e2e_prom_text_races_refused COMMAND ${RUN_CASE} --status 66
  --count lock-order-cycle=1
  --stderr-has "lockscope: note: not checked: data races on global variables: the kernel refused hardware watchpoints"
  -- ${PR}/no_perf ${EX}/noodle_fork)
add_test(NAME e2e_prom_text_races_off COMMAND ${RUN_CASE} --status 0 --findings 0
  --env LOCKSCOPE_OPTIONS=watch=0
  --stderr-has "lockscope: note: not checked: data races on global variables: turned off"
  -- ${EX}/counter_locked)
add_test(NAME e2e_prom_text_races_checked COMMAND ${RUN_CASE} --status 0 --findings 0
  --sampled n --stderr-lacks "lockscope: note:" -- ${EX}/counter_locked)

# The bound on held locks: one warning and one note a process, however
# often its threads go past it.
add_executable(pr_deep_nest ${PROGS_SRC}/pr_deep_nest.c)
target_compile_options(pr_deep_nest PRIVATE -O1 -g)
target_link_libraries(pr_deep_nest PRIVATE Threads::Threads)
set_target_properties(pr_deep_nest PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PR})
add_test(NAME e2e_prom_held_bound_once COMMAND ${RUN_CASE} --status 0 --findings 0 --host-same
  --stderr-once "holds more than 128 locks" --note-count "held-lock stack full=1"
  -- ${PR}/pr_deep_nest)
# A trace directory that cannot take traces: one error with its cause.
add_test(NAME e2e_prom_out_unwritable COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/pr_out_unwritable.sh
  $<TARGET_FILE:lockscope> $<TARGET_FILE:lockscope_preload> ${EX}/counter_locked
  ${CMAKE_BINARY_DIR}/tests/prom_out)

# Hold times: a 1.3 s hold is listed whichever acquisition it is (1, 10,
# 30), and measured as long as the program measured it.
add_executable(pr_long_hold ${PROGS_SRC}/pr_long_hold.c)
target_compile_options(pr_long_hold PRIVATE -O1 -g)
target_link_libraries(pr_long_hold PRIVATE Threads::Threads)
set_target_properties(pr_long_hold PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PR})
foreach(n 1 10 30)
  add_test(NAME e2e_prom_long_hold_${n} COMMAND ${RUN_CASE} --status 0 --findings 0
    --profile-holds config_lock -- ${PR}/pr_long_hold ${n})
endforeach()
# profile=0: no profile, no long holds, the program unchanged.
add_test(NAME e2e_prom_profile_off COMMAND ${RUN_CASE} --status 0 --findings 0
  --env LOCKSCOPE_OPTIONS=profile=0 --stderr-lacks "contention profile"
  --stderr-lacks "was held for" -- ${PR}/pr_long_hold 1)

# Statically linked and set-uid programs, however they were started, are
# named by their own path: posix_spawn, posix_spawnp, vfork + exec,
# fork + exec, system(), make and ctest.
ls_user_program(pr_spawn ${PR} SOURCES ${PROGS_SRC}/pr_spawn.c)
ls_user_program(pr_static_child ${PR} SOURCES ${PROGS_SRC}/pr_static_child.c FLAGS -static)
foreach(how spawn spawnp vfork fork system)
  # (the native run of --host-same has the test's PATH: not for spawnp)
  if(how STREQUAL "spawnp")
    set(child pr_static_child)
    set(same)
  else()
    set(child ${PR}/pr_static_child)
    set(same --host-same)
  endif()
  add_test(NAME e2e_prom_untraced_${how} COMMAND ${RUN_CASE} --status 0 --findings 0
    --env PATH=${PR}:$ENV{PATH} ${same}
    --stderr-once "lockscope: note: '${PR}/pr_static_child' wrote no trace: it was not checked"
    --note-count "'${PR}/pr_static_child' wrote no trace=1"
    --stderr-lacks "lockscope: note: not checked:" -- ${PR}/pr_spawn ${how} ${child})
endforeach()
add_test(NAME e2e_prom_untraced_make_ctest COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/pr_untraced.sh
  $<TARGET_FILE:lockscope> ${PR}/pr_static_child ${CMAKE_BINARY_DIR}/tests/prom_untraced)
# A dynamically linked program started those ways is traced: no note.
foreach(how spawn vfork fork system)
  add_test(NAME e2e_prom_traced_${how} COMMAND ${RUN_CASE} --status 0 --findings 0
    --stderr-lacks "wrote no trace" --note-count "no trace=0"
    -- ${PR}/pr_spawn ${how} ${EX}/counter_locked)
endforeach()

# The rarer synchronization calls, used correctly: clean, the guarded
# variable sampled (its happens-before through each call is what keeps
# the race check quiet), the program unchanged.  pthread_exit holding a
# mutex: the one misuse, at its line.
ls_user_program(pr_sync_rare ${PR} SOURCES ${PROGS_SRC}/pr_sync_rare.c)
foreach(mode robust clocklock rwtimed semopen)
  add_test(NAME e2e_prom_clean_${mode} COMMAND ${RUN_CASE} --repeat 3 --status 0 --findings 0
    --sampled guarded:w --env LOCKSCOPE_OPTIONS=watch_only=guarded --host-same
    -- ${PR}/pr_sync_rare ${mode})
endforeach()
add_test(NAME e2e_prom_clean_c11 COMMAND ${RUN_CASE} --repeat 3 --status 0 --findings 0
  --sampled guarded:w --env LOCKSCOPE_OPTIONS=watch_only=guarded --host-same
  --scope "sync=checked" -- ${PR}/pr_sync_rare c11)
add_test(NAME e2e_prom_exit_holding COMMAND ${RUN_CASE} --status 66 --findings 1 --kind misuse
  --rule exit-holding-locks --misuse-any-site pr_sync_rare.c:@exit_held --host-same
  -- ${PR}/pr_sync_rare exitheld)

# Every race test runs a program built as users build theirs.  The list of
# ls_user_program's programs is written once the whole project has been
# read (deferred to the end of the top directory), so that programs of
# files included after this one are in it too.
function(ls_write_user_programs)
  get_property(user_programs GLOBAL PROPERTY LS_USER_PROGRAMS)
  string(REPLACE ";" "\n" user_programs "${user_programs}")
  file(WRITE ${CMAKE_BINARY_DIR}/tests/user_programs.txt "${user_programs}\n")
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL ls_write_user_programs)
add_test(NAME e2e_prom_race_programs_user_built COMMAND ${Python3_EXECUTABLE}
  ${CMAKE_CURRENT_SOURCE_DIR}/pr_user_built.py ${CMAKE_CURRENT_BINARY_DIR}/CTestTestfile.cmake
  ${CMAKE_BINARY_DIR}/tests/user_programs.txt)
