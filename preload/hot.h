/*
 * The fast paths of acquisition and release, inlined into the wrappers.
 *
 * They finish the usual cases on their own: a lock whose id is assigned,
 * taken while the thread holds nothing (so no edge can be new and it is not
 * a re-acquisition), not waited for, not a sampled hold; a release of the
 * lock taken last; a clock released and acquired again by the same thread.
 * Everything else goes to the out-of-line functions (locks.c, clock.c,
 * profile.c), which handle every case: the fast paths only leave out work
 * those would have found had nothing to do.
 */
#ifndef LS_HOT_H
#define LS_HOT_H

#include "shim.h"
#include "timeline.h"

/* The fast paths are inlined into every wrapper whatever the compiler's
 * size heuristics say: a call, its register saves and its returns are
 * a good part of what they cost otherwise. */
#define LS_FAST static inline __attribute__((always_inline))

/* The profile's coarse clock (profile.c): CLOCK_MONOTONIC as of the last
 * tick, every LS_PROFILE_TICK_MS; 0 while no ticker runs. */
extern _Atomic uint64_t ls_coarse_ns LS_HIDDEN;

/* One more on a profile counter that only the lock's holder writes: its
 * mutual exclusion orders the writers, and the readers (the profile
 * written at exit or destroy) load it whole, so a plain add in memory
 * (one instruction, no locked one) does. */
static inline void ls_holder_inc(_Atomic uint64_t *c)
{
    ++*(uint64_t *)(uintptr_t)c;
}

/* ---- lock ids -------------------------------------------------------- */
uint32_t ls_lock_id_slow(struct ls_lock *lk) LS_HIDDEN;

static inline uint32_t ls_lock_id(struct ls_lock *lk)
{
    uint32_t id = atomic_load_explicit(&lk->id, memory_order_acquire);
    return likely(id) ? id : ls_lock_id_slow(lk);
}

/* ---- happens-before -------------------------------------------------- */
/* The parts of an exclusive release and an acquire that need the clocks
 * themselves: a copy into the object, a join into the thread. */
void ls_clock_release_copy(struct ls_thread *t, struct ls_sync *s) LS_HIDDEN;
void ls_clock_acquire_join(struct ls_thread *t, struct ls_sync *s) LS_HIDDEN;

/* Exclusive release (mutex unlock, write unlock, spin unlock): the object
 * takes everything the releaser knows, and the releaser's epoch moves on. */
LS_FAST void ls_clock_release(struct ls_thread *t, struct ls_sync *s)
{
    uint32_t *v = t->vc.v;
    if (unlikely(!v))
        return;
    uint32_t own = v[t->tid];
    if (s->clk.v && atomic_load_explicit(&ls_clocks_on, memory_order_relaxed)) {
        if (likely(s->last_tid == t->tid && s->last_version == t->vc_version))
            s->clk.v[t->tid] = own; /* only our own entry moved since */
        else
            ls_clock_release_copy(t, s);
    }
    s->last_tid = t->tid;
    s->last_epoch = own;
    s->last_version = t->vc_version;
    s->last_thread = t;
    v[t->tid] = own + 1;
}

LS_FAST void ls_clock_acquire(struct ls_thread *t, struct ls_sync *s)
{
    uint32_t last = s->last_tid;
    /* Released last by ourselves: nothing new to learn. */
    if (unlikely(!t->vc.v) || last == t->tid)
        return;
    /* Released last by one thread (an exclusive release: the object's clock
     * is that thread's at its release epoch), and we already know that
     * epoch: we learned it from something that came after the release, so
     * we know all the object's clock holds (FastTrack's epoch test). */
    if (last && last < t->vc.n && t->vc.v[last] >= s->last_epoch)
        return;
    ls_clock_acquire_join(t, s);
}

/* ---- the held stack -------------------------------------------------- */
static inline uint64_t ls_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* The held set's hash covers the mode each lock is held in. */
static inline uint64_t ls_held_mix(uint32_t id, int read)
{
    return ls_mix64(id | (read ? 1ULL << 40 : 0));
}

/* The share of heldhash of a lock the fast paths push: none yet, outside
 * CPython processes (whose access sampling keys on heldhash as it is).
 * A thread that takes one lock at a time never needs the held set's hash:
 * ls_heldhash adds the shares left out when a slow path does. */
static inline uint64_t ls_held_mix_fast(uint32_t id)
{
    return unlikely(ls_py_on) ? ls_held_mix(id, 0) : 0;
}

/* The hash of the thread's held set (the locks and their modes), every
 * share left out by a fast path added. */
static inline uint64_t ls_heldhash(struct ls_thread *t)
{
    for (uint32_t i = 0; i < t->nheld; i++) {
        struct ls_held *h = &t->held[i];
        if (unlikely(!h->mix)) {
            h->mix = ls_held_mix(h->id, (int)h->read);
            t->heldhash ^= h->mix;
        }
    }
    return t->heldhash;
}

/* A new held entry: lk, not held before, taken by the call at ret/cfa.
 * The stack fields are all zeroed (stack_gen and approx mean nothing while
 * stack is 0): with read they make one 8-byte store. */
LS_FAST void ls_held_fill(struct ls_held *h, struct ls_lock *lk, uint32_t id, int read,
                          uint64_t ret, uint64_t cfa, uint64_t mix)
{
    h->lk = lk;
    h->id = id;
    h->count = 1;
    h->ret_ip = ret;
    h->cfa = cfa;
    h->stack = 0;
    h->stack_gen = 0;
    h->read = (uint8_t)read;
    h->approx = 0;
    h->inherited = 0;
    h->since_ns = 0;
    h->since_tick = atomic_load_explicit(&ls_coarse_ns, memory_order_relaxed);
    h->mix = mix;
}

/* Pushes lk, not held before, on the thread's held stack (which has room),
 * with its share mix of heldhash (0: left for ls_heldhash). */
LS_FAST struct ls_held *ls_held_push_mixed(struct ls_thread *t, struct ls_lock *lk, uint32_t id,
                                           int read, uint64_t ret, uint64_t cfa, uint64_t mix)
{
    struct ls_held *h = &t->held[t->nheld];
    ls_held_fill(h, lk, id, read, ret, cfa, mix);
    t->heldhash ^= mix;
    t->nheld++;
    return h;
}

/* The same for a thread that holds nothing: its first entry, at a fixed
 * place (no index from nheld). */
LS_FAST struct ls_held *ls_held_push_first(struct ls_thread *t, struct ls_lock *lk, uint32_t id,
                                           uint64_t ret, uint64_t cfa, uint64_t mix)
{
    struct ls_held *h = &t->held[0];
    ls_held_fill(h, lk, id, 0, ret, cfa, mix);
    t->heldhash ^= mix;
    t->nheld = 1;
    return h;
}

LS_FAST struct ls_held *ls_held_push(struct ls_thread *t, struct ls_lock *lk, uint32_t id,
                                     int read, uint64_t ret, uint64_t cfa)
{
    return ls_held_push_mixed(t, lk, id, read, ret, cfa, ls_held_mix(id, read));
}

int ls_acquire_pre_slow(struct ls_thread *t, struct ls_lock *lk, int flags, uint64_t ret,
                        uint64_t cfa) LS_HIDDEN;
void ls_acquire_post_slow(struct ls_thread *t, struct ls_lock *lk, int flags, uint64_t ret,
                          uint64_t cfa) LS_HIDDEN;
int ls_release_slow(struct ls_thread *t, struct ls_lock *lk) LS_HIDDEN;

/* Before the real call.  Returns 0 if the thread does not hold lk,
 * LS_HELD_WRITE or LS_HELD_READ if it does (a re-acquisition: no edge). */
LS_FAST int ls_acquire_pre(struct ls_thread *t, struct ls_lock *lk, int flags,
                                 uint64_t ret, uint64_t cfa)
{
    if (likely(t->nheld == 0)) {
        (void)ls_lock_id(lk); /* first use: the lock's record and stack */
        return 0;
    }
    return ls_acquire_pre_slow(t, lk, flags, ret, cfa);
}

/* After the real call succeeded. */
LS_FAST void ls_acquire_post(struct ls_thread *t, struct ls_lock *lk, int flags,
                                   uint64_t ret, uint64_t cfa)
{
    uint32_t id = atomic_load_explicit(&lk->id, memory_order_acquire);
    if (unlikely(t->tl))
        ls_tl_lock(t, lk, LS_TL_ACQUIRED, flags);
    if (unlikely(t->nheld != 0 || (flags & LS_ACQ_READ) || t->last_wait_ns ||
                 t->hold_countdown == 0 || !id || lk->kind == LS_LOCK_RWLOCK)) {
        ls_acquire_post_slow(t, lk, flags, ret, cfa);
        return;
    }
    ls_held_push_first(t, lk, id, ret, cfa, ls_held_mix_fast(id));
    /* The profile's counters (the holder alone writes them: no locked
     * instruction), then what the last holder released. */
    uint32_t last = lk->w.last_tid;
    ls_holder_inc(&lk->acquisitions);
    if (last != t->tid) {
        if (last)
            ls_holder_inc(&lk->owner_changes);
        ls_clock_acquire(t, &lk->w);
    }
    t->hold_countdown--;
}

/* Returns 1 if the thread held lk (it no longer does, unless recursively),
 * 0 if it did not. */
LS_FAST int ls_release(struct ls_thread *t, struct ls_lock *lk)
{
    uint32_t n = t->nheld;
    if (unlikely(t->tl))
        ls_tl_lock(t, lk, LS_TL_RELEASED, 0);
    if (likely(n != 0)) {
        struct ls_held *h = &t->held[n - 1];
        if (likely(h->lk == lk && h->count == 1 && !h->read && !h->since_ns &&
                   h->since_tick == atomic_load_explicit(&ls_coarse_ns, memory_order_relaxed))) {
            ls_clock_release(t, &lk->w);
            t->heldhash ^= h->mix;
            t->nheld = n - 1;
            return 1;
        }
    }
    return ls_release_slow(t, lk);
}

#endif
