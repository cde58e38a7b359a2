/*
 * The timeline: each thread's last N lock and wait events, with their times
 * (LOCKSCOPE_OPTIONS=timeline=N; records in include/lockscope/trace.h).
 *
 * A thread appends to its own ring only (no shared write, no syscall, no
 * lock); the ring is read by whoever writes the trace: the thread itself at
 * its end, any thread at fork and exit, the reporting thread at a deadlock,
 * a signal handler at a fatal signal.  A reader copies the published part
 * and drops whatever the owner overwrote meanwhile.  t->tl is NULL when the
 * timeline is off: the hooks cost one predictable branch then.
 */
#ifndef LS_TIMELINE_H
#define LS_TIMELINE_H

#include "shim.h"

#include <x86intrin.h>

struct ls_tl {
    _Atomic uint64_t head;    /* events published (the next one's number) */
    uint64_t written;         /* events before this one are in the trace (or lost) */
    uint64_t last_ns;         /* the latest time written: times never go back */
    uint32_t tid;
    struct ls_spin spin;      /* whoever writes the ring into the trace */
    struct ls_rec_tl_event e[]; /* .ns holds raw ticks until written */
};
extern uint32_t ls_tl_mask LS_HIDDEN; /* ring size - 1 */
extern int ls_tl_tsc LS_HIDDEN;       /* times are TSC ticks (converted when written) */

static inline uint64_t ls_tl_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Appends an event to the owner's ring: a time, three stores, a release
 * store of the head (a reader copies only what the head has published). */
static inline void ls_tl_push(struct ls_tl *r, uint32_t what, uint32_t obj, uint32_t arg)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    struct ls_rec_tl_event *e = &r->e[h & ls_tl_mask];
    e->ns = likely(ls_tl_tsc) ? __rdtsc() : ls_tl_mono_ns();
    e->obj = obj;
    e->what = (uint16_t)what;
    e->arg = (uint16_t)arg;
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

/* Sets up the clock (at init, before the first thread starts). */
void ls_tl_init(void) LS_HIDDEN;
/* A thread starts: its ring (allocated, or reused with its state) and the
 * start event.  Does nothing when the timeline is off. */
void ls_tl_thread_start(struct ls_thread *t) LS_HIDDEN;
/* The thread ends: the end event, and its ring into the trace. */
void ls_tl_thread_end(struct ls_thread *t) LS_HIDDEN;
/* A lock event (LS_TL_ACQUIRED with LS_ACQ_READ in flags, LS_TL_RELEASED),
 * inlined into the acquisition and release paths (hot.h). */
static inline void ls_tl_lock(struct ls_thread *t, struct ls_lock *lk, uint32_t what, int flags)
{
    uint32_t id = atomic_load_explicit(&lk->id, memory_order_relaxed);
    ls_tl_push(t->tl, what, id, (flags & LS_ACQ_READ) ? 1 : 0);
}
/* A blocking wait begins / ends (from ls_wait_begin / ls_wait_end). */
void ls_tl_wait(struct ls_thread *t, uint32_t kind, struct ls_lock *lk, const void *obj,
                const struct ls_thread *other) LS_HIDDEN;
void ls_tl_wait_end(struct ls_thread *t) LS_HIDDEN;
/* Writes what every ring holds and the trace lacks.  async: from a signal
 * handler (gives up on a ring or the writer that is busy). */
void ls_tl_write_all(int async) LS_HIDDEN;
/* In a forked child: only the calling thread exists; the others' events
 * went (or belong) to the parent's trace. */
void ls_tl_after_fork_child(struct ls_thread *self) LS_HIDDEN;
/* CLOCK_MONOTONIC now, in ns, on the timeline's clock (async-signal-safe). */
uint64_t ls_tl_now_ns(void) LS_HIDDEN;
/* 1 if the timeline is on. */
int ls_tl_on(void) LS_HIDDEN;

#endif
