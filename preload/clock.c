/*
 * Happens-before: vector clocks for threads and synchronization objects.
 *
 * A thread's clock has one entry per thread id; its own entry is its epoch,
 * which advances at every release.  A release stores what the thread knows
 * into the object; an acquire joins the object's clock into the thread's.
 *
 * Cheap in the common cases: an object released and acquired again by the
 * same thread costs two loads and a store; an object only one thread uses
 * never gets a full clock (it keeps the last releaser and its epoch).  The
 * first time another thread acquires it, the object's clock is made from the
 * releaser's clock as it is now, with the releaser's own entry at its
 * release epoch: what the releaser learned since (from third threads) may be
 * counted in, which can only hide a race, never invent one.
 *
 * Clocks live in the shim's arena and are never freed; when the memory
 * budget is spent, race tracking stops with one warning (lock checks go on).
 */
#define _GNU_SOURCE
#include "hot.h"

#include <string.h>

#define VC_BUDGET (512u << 20)

static _Atomic size_t vc_bytes;
_Atomic int ls_clocks_on = 1;

static uint32_t *vc_alloc(uint32_t n)
{
    size_t bytes = (size_t)n * sizeof(uint32_t);
    if (atomic_fetch_add(&vc_bytes, bytes) + bytes > VC_BUDGET) {
        if (atomic_exchange(&ls_clocks_on, 0)) {
            ls_warn("lockscope: warning: vector clocks need more than %u MB; race checking "
                    "stops here",
                    VC_BUDGET >> 20);
            ls_writer_note(LS_NOTE_DROPPED, "vector clock budget spent: race checking stopped");
        }
        return NULL;
    }
    return ls_arena_alloc(bytes);
}

static uint32_t cap_for(uint32_t n)
{
    uint32_t c = 16;
    while (c < n)
        c *= 2;
    return c;
}

/* Makes room for entry `idx` in a clock. */
static int vc_reserve(struct ls_vclock *c, uint32_t idx)
{
    if (idx < c->cap)
        return 0;
    if (!c->v && idx < LS_VC_INLINE) {
        __atomic_store_n(&c->v, c->inl, __ATOMIC_RELEASE);
        c->cap = LS_VC_INLINE;
        return 0;
    }
    uint32_t ncap = cap_for(idx + 1);
    uint32_t *nv = vc_alloc(ncap);
    if (!nv)
        return -1;
    if (c->v)
        memcpy(nv, c->v, c->n * sizeof(uint32_t));
    __atomic_store_n(&c->v, nv, __ATOMIC_RELEASE);
    c->cap = ncap;
    return 0;
}

static void vc_join(struct ls_vclock *dst, const uint32_t *src, uint32_t n, uint32_t *changed)
{
    if (n > dst->n) {
        if (vc_reserve(dst, n - 1) != 0)
            return;
        dst->n = n;
    }
    /* Without branches: which entries grow is anybody's guess. */
    uint32_t *d = dst->v, grew = 0;
    for (uint32_t i = 1; i < n; i++) {
        uint32_t a = d[i], b = src[i];
        uint32_t m = b > a ? b : a;
        grew |= m ^ a;
        d[i] = m;
    }
    if (grew)
        *changed = 1;
}

void ls_clock_thread_start(struct ls_thread *t, const struct ls_thread *parent)
{
    memset(&t->vc, 0, sizeof t->vc);
    if (vc_reserve(&t->vc, t->tid) != 0)
        return;
    t->vc.n = t->tid + 1;
    if (parent && parent->vc.v) {
        uint32_t n = parent->vc.n;
        uint32_t dummy = 0;
        vc_join(&t->vc, parent->vc.v, n, &dummy);
    }
    t->vc.v[t->tid] = 1;
    t->vc_version = 1;
}

/* Own epoch: accesses made now are at this epoch. */
static inline void tick(struct ls_thread *t)
{
    if (likely(t->vc.v))
        t->vc.v[t->tid]++;
}

/* An exclusive release into a shared object's clock whose content another
 * thread wrote last (ls_clock_release): it takes the releaser's whole clock. */
void ls_clock_release_copy(struct ls_thread *t, struct ls_sync *s)
{
    if (vc_reserve(&s->clk, t->vc.n - 1) != 0)
        return;
    uint32_t n = t->vc.n, old = s->clk.n;
    for (uint32_t i = 0; i < n; i++)
        s->clk.v[i] = t->vc.v[i];
    for (uint32_t i = n; i < old; i++)
        s->clk.v[i] = 0;
    s->clk.n = n;
}

void ls_clock_release_join(struct ls_thread *t, struct ls_sync *s)
{
    /* For objects many threads release into (condvars, semaphores,
     * barriers, read holds): join instead of copy. */
    if (unlikely(!t->vc.v) || !atomic_load_explicit(&ls_clocks_on, memory_order_relaxed))
        return;
    uint32_t dummy = 0;
    vc_join(&s->clk, t->vc.v, t->vc.n, &dummy);
    s->last_tid = 0; /* several releasers: the clock is the whole story */
    tick(t);
}

/* An acquire of an object another thread released last (ls_clock_acquire):
 * its clock joins the thread's. */
void ls_clock_acquire_join(struct ls_thread *t, struct ls_sync *s)
{
    uint32_t last = s->last_tid;
    if (!atomic_load_explicit(&ls_clocks_on, memory_order_relaxed))
        return;
    uint32_t changed = 0;
    if (!s->clk.v && last) {
        /* First acquisition by another thread: make the object's clock from
         * its releaser's (see the top of this file). */
        const struct ls_thread *r = s->last_thread;
        const uint32_t *rv = r ? __atomic_load_n(&r->vc.v, __ATOMIC_ACQUIRE) : NULL;
        uint32_t rn = r ? r->vc.n : 0;
        if (rv && r->tid == last) {
            if (rn > r->vc.cap)
                rn = r->vc.cap;
            vc_join(&s->clk, rv, rn, &changed);
            if (s->clk.v && last < s->clk.n)
                s->clk.v[last] = s->last_epoch;
        } else if (vc_reserve(&s->clk, last) == 0) {
            if (s->clk.n <= last)
                s->clk.n = last + 1;
            s->clk.v[last] = s->last_epoch;
        }
    }
    changed = 0;
    if (s->clk.v)
        vc_join(&t->vc, s->clk.v, s->clk.n, &changed);
    if (changed)
        t->vc_version++;
}

void ls_clock_join_thread(struct ls_thread *t, const struct ls_thread *other)
{
    if (!t->vc.v || !other->vc.v)
        return;
    uint32_t changed = 0;
    vc_join(&t->vc, other->vc.v, other->vc.n, &changed);
    if (changed)
        t->vc_version++;
}

/* A live thread's clock, read while it runs (membarrier): the array it
 * points to is never freed, and entries only grow, so a stale read can only
 * order less. */
static void join_live(struct ls_thread *t, const struct ls_thread *other)
{
    const uint32_t *ov = __atomic_load_n(&other->vc.v, __ATOMIC_ACQUIRE);
    uint32_t on = __atomic_load_n(&other->vc.n, __ATOMIC_RELAXED);
    uint32_t cap = ov == other->vc.inl ? LS_VC_INLINE
                                         : __atomic_load_n(&other->vc.cap, __ATOMIC_RELAXED);
    if (!ov || !t->vc.v)
        return;
    if (on > cap)
        on = cap;
    uint32_t changed = 0;
    vc_join(&t->vc, ov, on, &changed);
    if (changed)
        t->vc_version++;
}

void ls_clock_join_all(struct ls_thread *t)
{
    if (!atomic_load_explicit(&ls_clocks_on, memory_order_relaxed))
        return;
    ls_registry_each(t, join_live);
}

void ls_clock_tick(struct ls_thread *t)
{
    tick(t);
}
