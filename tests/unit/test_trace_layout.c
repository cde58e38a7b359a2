/*
 * Pins the on-disk layout of include/lockscope/trace.h: sizes, offsets, no
 * implicit padding, and the numeric codes.  The shim and the analyzer only
 * share this header, so a change here silently breaks every trace on disk;
 * if one of these fails, bump LS_TRACE_VERSION instead of editing the test.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "lockscope/trace.h"

#define MSIZE(type, m) sizeof(((type *)0)->m)
#define OFF(type, m, want) \
    cr_assert_eq(offsetof(type, m), (size_t)(want), #type "." #m " is at %zu, not %zu", \
                 offsetof(type, m), (size_t)(want))
#define FIELD(type, m, off, size) \
    do { \
        OFF(type, m, off); \
        cr_assert_eq(MSIZE(type, m), (size_t)(size), #type "." #m " has %zu bytes, not %zu", \
                     MSIZE(type, m), (size_t)(size)); \
    } while (0)
/* Records are padded to 8 and followed by u64 arrays (stack ips), so every
 * record struct keeps that alignment. */
#define SIZE(type, want) \
    do { \
        cr_assert_eq(sizeof(type), (size_t)(want), "sizeof(" #type ") is %zu, not %zu", \
                     sizeof(type), (size_t)(want)); \
        cr_assert_eq(sizeof(type) % LS_TRACE_ALIGN, 0u); \
    } while (0)

Test(trace_layout, constants)
{
    cr_assert_eq(sizeof LS_TRACE_MAGIC, 8u);
    cr_assert_str_eq(LS_TRACE_MAGIC, "LSTRACE");
    cr_assert_eq(LS_TRACE_VERSION, 3u);
    cr_assert_eq(LS_TRACE_ALIGN, 8u);
    cr_assert_eq(LS_TRACE_MAX_RECORD, 1048576u);
    cr_assert_eq(LS_TRACE_MAX_FRAMES, 64u);
}

Test(trace_layout, file_header)
{
    typedef struct ls_file_header T;
    SIZE(T, 32);
    FIELD(T, magic, 0, 8);
    FIELD(T, version, 8, 4);
    FIELD(T, header_size, 12, 4);
    FIELD(T, pid, 16, 4);
    FIELD(T, ppid, 20, 4);
    FIELD(T, start_ns, 24, 8);
    cr_assert_eq(MSIZE(T, magic) + MSIZE(T, version) + MSIZE(T, header_size) + MSIZE(T, pid) +
                     MSIZE(T, ppid) + MSIZE(T, start_ns),
                 sizeof(T), "implicit padding in struct ls_file_header");
}

Test(trace_layout, rec_header)
{
    typedef struct ls_rec_header T;
    SIZE(T, 8);
    FIELD(T, type, 0, 2);
    FIELD(T, flags, 2, 2);
    FIELD(T, size, 4, 4);
    cr_assert_eq(MSIZE(T, type) + MSIZE(T, flags) + MSIZE(T, size), sizeof(T));
}

Test(trace_layout, rec_process)
{
    typedef struct ls_rec_process T;
    SIZE(T, 24);
    FIELD(T, pid, 0, 4);
    FIELD(T, ppid, 4, 4);
    FIELD(T, argc, 8, 4);
    FIELD(T, exe_len, 12, 4);
    FIELD(T, parent_tid, 16, 4);
    FIELD(T, reserved, 20, 4);
    cr_assert_eq(MSIZE(T, pid) + MSIZE(T, ppid) + MSIZE(T, argc) + MSIZE(T, exe_len) +
                     MSIZE(T, parent_tid) + MSIZE(T, reserved),
                 sizeof(T));
}

Test(trace_layout, rec_module)
{
    typedef struct ls_rec_module T;
    SIZE(T, 32);
    FIELD(T, id, 0, 4);
    FIELD(T, build_id_len, 4, 4);
    FIELD(T, bias, 8, 8);
    FIELD(T, start, 16, 8);
    FIELD(T, end, 24, 8);
    cr_assert_eq(MSIZE(T, id) + MSIZE(T, build_id_len) + MSIZE(T, bias) + MSIZE(T, start) +
                     MSIZE(T, end),
                 sizeof(T));
}

Test(trace_layout, rec_stack)
{
    typedef struct ls_rec_stack T;
    SIZE(T, 8);
    FIELD(T, id, 0, 4);
    FIELD(T, depth, 4, 4);
    cr_assert_eq(MSIZE(T, id) + MSIZE(T, depth), sizeof(T));
}

Test(trace_layout, rec_thread)
{
    typedef struct ls_rec_thread T;
    SIZE(T, 24);
    FIELD(T, tid, 0, 4);
    FIELD(T, os_tid, 4, 4);
    FIELD(T, parent, 8, 4);
    FIELD(T, parent_epoch, 12, 4);
    FIELD(T, create_stack, 16, 4);
    FIELD(T, name_len, 20, 4);
    cr_assert_eq(MSIZE(T, tid) + MSIZE(T, os_tid) + MSIZE(T, parent) + MSIZE(T, parent_epoch) +
                     MSIZE(T, create_stack) + MSIZE(T, name_len),
                 sizeof(T));
}

Test(trace_layout, rec_join)
{
    typedef struct ls_rec_join T;
    SIZE(T, 24);
    FIELD(T, joiner, 0, 4);
    FIELD(T, joiner_epoch, 4, 4);
    FIELD(T, joined, 8, 4);
    FIELD(T, joined_epoch, 12, 4);
    FIELD(T, stack, 16, 4);
    FIELD(T, reserved, 20, 4);
    cr_assert_eq(MSIZE(T, joiner) + MSIZE(T, joiner_epoch) + MSIZE(T, joined) +
                     MSIZE(T, joined_epoch) + MSIZE(T, stack) + MSIZE(T, reserved),
                 sizeof(T));
}

Test(trace_layout, rec_thread_end)
{
    typedef struct ls_rec_thread_end T;
    SIZE(T, 16);
    FIELD(T, tid, 0, 4);
    FIELD(T, epoch, 4, 4);
    FIELD(T, exit_stack, 8, 4);
    FIELD(T, reserved, 12, 4);
    cr_assert_eq(MSIZE(T, tid) + MSIZE(T, epoch) + MSIZE(T, exit_stack) + MSIZE(T, reserved),
                 sizeof(T));
}

Test(trace_layout, rec_lock)
{
    typedef struct ls_rec_lock T;
    SIZE(T, 24);
    FIELD(T, id, 0, 4);
    FIELD(T, kind, 4, 4);
    FIELD(T, addr, 8, 8);
    FIELD(T, init_stack, 16, 4);
    FIELD(T, first_stack, 20, 4);
    cr_assert_eq(MSIZE(T, id) + MSIZE(T, kind) + MSIZE(T, addr) + MSIZE(T, init_stack) +
                     MSIZE(T, first_stack),
                 sizeof(T));
}

Test(trace_layout, rec_edge)
{
    typedef struct ls_rec_edge T;
    SIZE(T, 32);
    FIELD(T, tid, 0, 4);
    FIELD(T, epoch, 4, 4);
    FIELD(T, from, 8, 4);
    FIELD(T, to, 12, 4);
    FIELD(T, from_stack, 16, 4);
    FIELD(T, to_stack, 20, 4);
    FIELD(T, flags, 24, 4);
    FIELD(T, nheld, 28, 4);
    cr_assert_eq(MSIZE(T, tid) + MSIZE(T, epoch) + MSIZE(T, from) + MSIZE(T, to) +
                     MSIZE(T, from_stack) + MSIZE(T, to_stack) + MSIZE(T, flags) +
                     MSIZE(T, nheld),
                 sizeof(T));
}

Test(trace_layout, rec_note)
{
    typedef struct ls_rec_note T;
    SIZE(T, 8);
    FIELD(T, code, 0, 4);
    FIELD(T, msg_len, 4, 4);
    cr_assert_eq(MSIZE(T, code) + MSIZE(T, msg_len), sizeof(T));
}

Test(trace_layout, rec_end)
{
    typedef struct ls_rec_end T;
    SIZE(T, 16);
    FIELD(T, end_ns, 0, 8);
    FIELD(T, status, 8, 4);
    FIELD(T, flags, 12, 4);
    cr_assert_eq(MSIZE(T, end_ns) + MSIZE(T, status) + MSIZE(T, flags), sizeof(T));
    /* status is signed: -1 means unknown. */
    struct ls_rec_end r = {.status = -1};
    cr_assert_lt(r.status, 0);
}

Test(trace_layout, rec_deadlock)
{
    typedef struct ls_rec_deadlock T;
    SIZE(T, 16);
    FIELD(T, nthreads, 0, 4);
    FIELD(T, flags, 4, 4);
    FIELD(T, exit_status, 8, 4);
    FIELD(T, reserved, 12, 4);
    cr_assert_eq(MSIZE(T, nthreads) + MSIZE(T, flags) + MSIZE(T, exit_status) +
                     MSIZE(T, reserved),
                 sizeof(T));
    struct ls_rec_deadlock r = {.exit_status = -1};
    cr_assert_lt(r.exit_status, 0);
}

/* The deadlock record's entries follow each other: each keeps alignment. */
Test(trace_layout, rec_deadlock_thread_and_held)
{
    typedef struct ls_rec_deadlock_thread T;
    SIZE(T, 24);
    FIELD(T, tid, 0, 4);
    FIELD(T, wait_kind, 4, 4);
    FIELD(T, wait_lock, 8, 4);
    FIELD(T, wait_thread, 12, 4);
    FIELD(T, wait_stack, 16, 4);
    FIELD(T, nheld, 20, 4);
    cr_assert_eq(MSIZE(T, tid) + MSIZE(T, wait_kind) + MSIZE(T, wait_lock) +
                     MSIZE(T, wait_thread) + MSIZE(T, wait_stack) + MSIZE(T, nheld),
                 sizeof(T));

    typedef struct ls_rec_held H;
    SIZE(H, 8);
    FIELD(H, lock, 0, 4);
    FIELD(H, stack, 4, 4);
    cr_assert_eq(MSIZE(H, lock) + MSIZE(H, stack), sizeof(H));
}

Test(trace_layout, record_codes)
{
    cr_assert_eq(LS_REC_PROCESS, 1);
    cr_assert_eq(LS_REC_MODULE, 2);
    cr_assert_eq(LS_REC_STACK, 3);
    cr_assert_eq(LS_REC_THREAD, 4);
    cr_assert_eq(LS_REC_JOIN, 5);
    cr_assert_eq(LS_REC_LOCK, 6);
    cr_assert_eq(LS_REC_EDGE, 7);
    cr_assert_eq(LS_REC_NOTE, 8);
    cr_assert_eq(LS_REC_END, 9);
    cr_assert_eq(LS_REC_THREAD_END, 10);
    cr_assert_eq(LS_REC_DEADLOCK, 11);
    cr_assert_eq(LS_REC_MISUSE, 12);
    cr_assert_eq(LS_REC_CLOCK, 13);
    cr_assert_eq(LS_REC_ACCESS, 14);
    cr_assert_eq(LS_REC_WATCH, 15);
    cr_assert_eq(LS_REC_THREAD_NAME, 16);
    cr_assert_eq(LS_REC_PROFILE, 17);
}

/* Lock kinds and the flag and code fields are written to disk too. */
Test(trace_layout, field_codes)
{
    cr_assert_eq(LS_LOCK_MUTEX, 1);
    cr_assert_eq(LS_LOCK_MUTEX_RECURSIVE, 2);
    cr_assert_eq(LS_LOCK_MUTEX_ERRORCHECK, 3);
    cr_assert_eq(LS_LOCK_RWLOCK, 4);
    cr_assert_eq(LS_LOCK_SPIN, 5);

    cr_assert_eq(LS_EDGE_TIMED, 1u);
    cr_assert_eq(LS_EDGE_FROM_APPROX, 2u);

    cr_assert_eq(LS_NOTE_INFO, 0);
    cr_assert_eq(LS_NOTE_DROPPED, 1);
    cr_assert_eq(LS_NOTE_DISABLED, 2);
    cr_assert_eq(LS_NOTE_DEADLOCK_OFF, 3);
    cr_assert_eq(LS_NOTE_STALL_OFF, 4);

    cr_assert_eq(LS_END_EXEC, 1u);

    cr_assert_eq(LS_DEADLOCK_SELF, 1u);
    cr_assert_eq(LS_DEADLOCK_ENDED, 2u);
    cr_assert_eq(LS_WAIT_LOCK, 1);
    cr_assert_eq(LS_WAIT_JOIN, 2);
}

/* Version 3: the call, the other thread and its site, a second lock. */
Test(trace_layout, rec_misuse)
{
    typedef struct ls_rec_misuse T;
    SIZE(T, 48);
    FIELD(T, rule, 0, 4);
    FIELD(T, tid, 4, 4);
    FIELD(T, lock, 8, 4);
    FIELD(T, stack, 12, 4);
    FIELD(T, lock_stack, 16, 4);
    FIELD(T, result, 20, 4);
    FIELD(T, call, 24, 4);
    FIELD(T, other_tid, 28, 4);
    FIELD(T, other_stack, 32, 4);
    FIELD(T, lock2, 36, 4);
    FIELD(T, value, 40, 4);
    FIELD(T, reserved, 44, 4);
    cr_assert_eq(LS_MISUSE_CALL_ERROR, 14);
    cr_assert_eq(LS_MISUSE_THREAD_LEAK, 20);
    cr_assert_eq(LS_MISUSE_ROBUST_INCONSISTENT, 21);
    cr_assert_eq(LS_MISUSE_NOT_A_SEMAPHORE, 22);
    cr_assert_eq(LS_CALL_MUTEX_INIT, 1);
    cr_assert_eq(LS_CALL_MUTEX_CONSISTENT, 61);
}

Test(trace_layout, rec_clock)
{
    typedef struct ls_rec_clock T;
    SIZE(T, 16);
    FIELD(T, tid, 0, 4);
    FIELD(T, version, 4, 4);
    FIELD(T, n, 8, 4);
    FIELD(T, reserved, 12, 4);
}

/* Version 2: the decoded access (exact bytes, read/write/atomic) and the
 * watchpoint that caught it. */
Test(trace_layout, rec_access)
{
    typedef struct ls_rec_access T;
    SIZE(T, 56);
    FIELD(T, tid, 0, 4);
    FIELD(T, epoch, 4, 4);
    FIELD(T, clock_version, 8, 4);
    FIELD(T, flags, 12, 4);
    FIELD(T, addr, 16, 8);
    FIELD(T, size, 24, 4);
    FIELD(T, stack, 28, 4);
    FIELD(T, watch_addr, 32, 8);
    FIELD(T, watch_len, 40, 4);
    FIELD(T, nheld, 44, 4);
    FIELD(T, sync_lost, 48, 4); /* version 3 */
    FIELD(T, reserved, 52, 4);
    cr_assert_eq(LS_ACCESS_SYNC_BENCHED, 1u << 31);
    cr_assert_eq(LS_ACCESS_WRITE, 1u);
    cr_assert_eq(LS_ACCESS_KIND_UNKNOWN, 2u);
    cr_assert_eq(LS_ACCESS_READ, 4u);
    cr_assert_eq(LS_ACCESS_ATOMIC, 8u);
    cr_assert_eq(LS_ACCESS_INEXACT, 16u);
}

/* Version 3: the programs a process starts. */
Test(trace_layout, rec_exec)
{
    typedef struct ls_rec_exec T;
    SIZE(T, 24);
    FIELD(T, pid, 0, 4);
    FIELD(T, how, 4, 4);
    FIELD(T, time_ns, 8, 8);
    FIELD(T, path_len, 16, 4);
    FIELD(T, reserved, 20, 4);
    cr_assert_eq(LS_REC_EXEC, 40);
    cr_assert_eq(LS_EXEC_SELF, 1);
    cr_assert_eq(LS_EXEC_VFORK, 2);
    cr_assert_eq(LS_EXEC_SPAWN, 3);
    cr_assert_eq(LS_EXEC_FAILED, 4);
}

/* Version 3: long holds, each timed. */
Test(trace_layout, rec_profile)
{
    typedef struct ls_rec_profile T;
    SIZE(T, 96);
    FIELD(T, lock, 0, 4);
    FIELD(T, nsites, 4, 4);
    FIELD(T, acquisitions, 8, 8);
    FIELD(T, contended, 16, 8);
    FIELD(T, owner_changes, 24, 8);
    FIELD(T, wait_ns, 32, 8);
    FIELD(T, wait_max_ns, 40, 8);
    FIELD(T, hold_samples, 48, 8);
    FIELD(T, hold_sampled_ns, 56, 8);
    FIELD(T, hold_max_ns, 64, 8);
    FIELD(T, long_holds, 72, 8);
    FIELD(T, long_hold_ns, 80, 8);
    FIELD(T, hold_slack_ns, 88, 8);
    cr_assert_eq(LS_PROFILE_SAMPLE, 64u);
    cr_assert_eq(LS_PROFILE_TICK_MS, 5u);
}

Test(trace_layout, rec_watch)
{
    typedef struct ls_rec_watch T;
    SIZE(T, 96);
    FIELD(T, status, 0, 4);
    FIELD(T, candidates, 4, 4);
    FIELD(T, slots, 8, 4);
    FIELD(T, classify, 12, 4);
    FIELD(T, msg_len, 16, 4);
    FIELD(T, sync, 20, 4);
    FIELD(T, traps, 24, 8);
    FIELD(T, exact, 32, 8);
    FIELD(T, inexact, 40, 8);
    FIELD(T, no_access, 48, 8);
    FIELD(T, undecoded, 56, 8);
    FIELD(T, foreign, 64, 8);
    FIELD(T, stray, 72, 8);
    FIELD(T, atomic, 80, 8);
    FIELD(T, limited, 88, 8);
    cr_assert_eq(LS_WATCH_ON, 1);
    cr_assert_eq(LS_WATCH_REFUSED, 2);
    cr_assert_eq(LS_WATCH_NONE, 3);
    cr_assert_eq(LS_WATCH_OFF, 4);
    cr_assert_eq(LS_WATCH_SYNC_INCOMPLETE, 1u << 31);
}

/* Little-endian on disk: the reader memcpy()s records straight into these
 * structs, which is only right on a little-endian host. */
Test(trace_layout, host_is_little_endian)
{
    struct ls_rec_header h;
    const unsigned char bytes[8] = {0x07, 0x00, 0x00, 0x00, 0x20, 0x01, 0x00, 0x00};
    memcpy(&h, bytes, sizeof h);
    cr_assert_eq(h.type, LS_REC_EDGE);
    cr_assert_eq(h.flags, 0);
    cr_assert_eq(h.size, 0x120u);
}

/* Version 3: orphaned-lock stalls and writer-preferring rwlocks. */
Test(trace_layout, rec_writer_queue_and_orphans)
{
    typedef struct ls_rec_writer_queue T;
    SIZE(T, 8);
    FIELD(T, lock, 0, 4);
    FIELD(T, tid, 4, 4);
    cr_assert_eq(LS_REC_WRITER_QUEUE, 20);
    cr_assert_eq(LS_WAIT_EXITED, 7);
    cr_assert_eq(LS_DEADLOCK_ORPHAN, 16u);
    cr_assert_eq(LS_DEADLOCK_STALL, 4u);
    cr_assert_eq(LS_DEADLOCK_FORK_ORPHAN, 8u);
}

/* Version 3: the per-thread timeline. */
Test(trace_layout, rec_timeline)
{
    cr_assert_eq(LS_REC_TIMELINE, 45);
    cr_assert_eq(LS_REC_TIMELINE_CLOCK, 46);
    cr_assert_eq(LS_REC_ACCESS_TIME, 47);
    cr_assert_eq(LS_TL_ACQUIRED, 1);
    cr_assert_eq(LS_TL_RELEASED, 2);
    cr_assert_eq(LS_TL_WAIT_BEGIN, 3);
    cr_assert_eq(LS_TL_WAIT_END, 4);
    cr_assert_eq(LS_TL_THREAD_START, 5);
    cr_assert_eq(LS_TL_THREAD_END, 6);
    cr_assert_eq(LS_TL_SOURCE_CLOCK, 1);
    cr_assert_eq(LS_TL_SOURCE_TSC, 2);
    {
        typedef struct ls_rec_timeline_clock T;
        SIZE(T, 24);
        FIELD(T, mono_ns, 0, 8);
        FIELD(T, real_ns, 8, 8);
        FIELD(T, capacity, 16, 4);
        FIELD(T, source, 20, 4);
    }
    {
        typedef struct ls_rec_tl_event T;
        SIZE(T, 16);
        FIELD(T, ns, 0, 8);
        FIELD(T, obj, 8, 4);
        FIELD(T, what, 12, 2);
        FIELD(T, arg, 14, 2);
    }
    {
        typedef struct ls_rec_timeline T;
        SIZE(T, 24);
        FIELD(T, tid, 0, 4);
        FIELD(T, n, 4, 4);
        FIELD(T, first, 8, 8);
        FIELD(T, lost, 16, 8);
    }
    {
        typedef struct ls_rec_access_time T;
        SIZE(T, 24);
        FIELD(T, tid, 0, 4);
        FIELD(T, reserved, 4, 4);
        FIELD(T, addr, 8, 8);
        FIELD(T, ns, 16, 8);
    }
}

Test(trace_layout, python_records)
{
    cr_assert_eq(LS_REC_PYCODE, 25);
    cr_assert_eq(LS_REC_PYSTACK, 26);
    cr_assert_eq(LS_REC_PYLOCK, 27);
    cr_assert_eq(LS_REC_PYTHON, 28);
    cr_assert_eq(LS_LOCK_PY, 22);
    cr_assert_eq(LS_LOCK_PY_RLOCK, 23);
    cr_assert_eq(LS_NOTE_PY_UNSEEN, 15);
    cr_assert_eq(LS_NOTE_PY_SUBINTERP, 16);
    SIZE(struct ls_rec_python, 8);
    SIZE(struct ls_rec_pycode, 16);
    SIZE(struct ls_rec_pystack, 8);
    SIZE(struct ls_rec_pyframe, 8);
    SIZE(struct ls_rec_pylock, 16);
    cr_assert_eq(offsetof(struct ls_rec_pycode, file_len), 8u);
    cr_assert_eq(offsetof(struct ls_rec_pyframe, line), 4u);
    cr_assert_eq(offsetof(struct ls_rec_pylock, name_len), 8u);
    cr_assert_eq(LS_REC_PYVAR, 60);
    cr_assert_eq(LS_REC_PYACCESS, 61);
    cr_assert_eq(LS_REC_PYWATCH, 62);
    SIZE(struct ls_rec_pyvar, 24);
    SIZE(struct ls_rec_pyaccess, 40);
    SIZE(struct ls_rec_pywatch, 56);
    cr_assert_eq(offsetof(struct ls_rec_pyvar, slot), 8u);
    cr_assert_eq(offsetof(struct ls_rec_pyaccess, ns), 32u);
    cr_assert_eq(offsetof(struct ls_rec_pywatch, msg_len), 48u);
}

/* Races on sync objects: a new record type, no version bump. */
Test(trace_layout, rec_sync_race)
{
    typedef struct ls_rec_sync_race T;
    SIZE(T, 56);
    FIELD(T, addr, 0, 8);
    FIELD(T, kind, 8, 4);
    FIELD(T, flags, 12, 4);
    FIELD(T, mem, 16, 4);
    FIELD(T, write_tid, 20, 4);
    FIELD(T, write_epoch, 24, 4);
    FIELD(T, write_stack, 28, 4);
    FIELD(T, write_call, 32, 4);
    FIELD(T, other_tid, 36, 4);
    FIELD(T, other_epoch, 40, 4);
    FIELD(T, other_stack, 44, 4);
    FIELD(T, other_call, 48, 4);
    FIELD(T, reserved, 52, 4);
    cr_assert_eq(LS_REC_SYNC_RACE, 55);
    cr_assert_eq(LS_REC_THREAD_ARG, 56);
    cr_assert_eq(LS_SLR_OTHER_FIRST, 1u);
    cr_assert_eq(LS_SLR_OTHER_WRITE, 2u);
    cr_assert_eq(LS_SLR_OTHER_INSIDE, 4u);
    cr_assert_eq(LS_SLMEM_GLOBAL, 1);
    cr_assert_eq(LS_SLMEM_HEAP, 2);
    cr_assert_eq(LS_SLMEM_STACK, 3);
}

/* The per-process lock-order table's records. */
Test(trace_layout, rec_edges)
{
    typedef struct ls_rec_edges T;
    SIZE(T, 24);
    FIELD(T, tid, 0, 4);
    FIELD(T, epoch, 4, 4);
    FIELD(T, from_stack, 8, 4);
    FIELD(T, to_stack, 12, 4);
    FIELD(T, flags, 16, 2);
    FIELD(T, nother, 18, 2);
    FIELD(T, n, 20, 2);
    FIELD(T, pair_bytes, 22, 2);
    SIZE(struct ls_rec_edge_pair, 8);
    cr_assert_eq(sizeof(struct ls_rec_edge_pair16), 4u); /* packed inside the record */
    typedef struct ls_rec_edge_more M;
    SIZE(M, 16);
    FIELD(M, from, 0, 4);
    FIELD(M, to, 4, 4);
    FIELD(M, tid, 8, 4);
    FIELD(M, count, 12, 4);
    cr_assert_eq(LS_REC_EDGES, 65);
    cr_assert_eq(LS_REC_EDGE_MORE, 66);
    cr_assert_eq(LS_EDGE_CONTEXTS, 4u);
}

/* Memory watched besides the globals: objects, their end, their accesses. */
Test(trace_layout, rec_objects)
{
    cr_assert_eq(LS_REC_OBJECT, 50);
    cr_assert_eq(LS_REC_OBJECT_END, 51);
    cr_assert_eq(LS_REC_ACCESS_OBJ, 52);
    cr_assert_eq(LS_REC_OBJECT_GLOBAL, 53);
    cr_assert_eq(LS_OBJ_HEAP, 1);
    cr_assert_eq(LS_OBJ_STACK, 2);
    cr_assert_eq(LS_OBJ_TLS, 3);
    cr_assert_eq(LS_OBJ_GLOBAL, 4);
    cr_assert_eq(LS_OBJ_VIA_ARG, 1);
    cr_assert_eq(LS_OBJ_VIA_GLOBAL, 2);
    cr_assert_eq(LS_OBJ_VIA_SAMPLED, 3);
    cr_assert_eq(LS_OBJ_VIA_YOUNG, 4);
    {
        typedef struct ls_rec_object T;
        SIZE(T, 56);
        FIELD(T, id, 0, 4);
        FIELD(T, kind, 4, 2);
        FIELD(T, via, 6, 2);
        FIELD(T, addr, 8, 8);
        FIELD(T, size, 16, 8);
        FIELD(T, tid, 24, 4);
        FIELD(T, alloc_stack, 28, 4);
        FIELD(T, arg_tid, 32, 4);
        FIELD(T, stack, 36, 4);
        FIELD(T, via_addr, 40, 8);
        FIELD(T, alloc_size, 48, 8);
    }
    {
        typedef struct ls_rec_object_end T;
        SIZE(T, 8);
        FIELD(T, id, 0, 4);
        FIELD(T, tid, 4, 4);
    }
    {
        typedef struct ls_rec_access_obj T;
        SIZE(T, 16);
        FIELD(T, tid, 0, 4);
        FIELD(T, obj, 4, 4);
        FIELD(T, addr, 8, 8);
    }
    {
        typedef struct ls_rec_object_global T;
        SIZE(T, 16);
        FIELD(T, id, 0, 4);
        FIELD(T, reserved, 4, 4);
        FIELD(T, global, 8, 8);
    }
    {
        typedef struct ls_rec_thread_arg T;
        SIZE(T, 24);
        FIELD(T, tid, 0, 4);
        FIELD(T, obj, 4, 4);
        FIELD(T, arg, 8, 8);
        FIELD(T, start, 16, 8);
    }
}
