/*
 * The timeline: a ring per thread of its last N lock and wait events
 * (contract in timeline.h, records in include/lockscope/trace.h).
 *
 * The owner appends: a time, three stores, a release store of the head.
 * Times come from the invariant TSC where the CPU has one (a few ns where
 * clock_gettime costs ~20) and are converted to CLOCK_MONOTONIC only when
 * the ring is written, by the line through two (TSC, CLOCK_MONOTONIC)
 * pairs: one read at start, one at the write.
 *
 * A ring is read without stopping its owner: copy the events published so
 * far, read the head again, and keep only the copies the owner cannot have
 * overwritten meanwhile (it writes slot head & mask before it publishes).
 */
#define _GNU_SOURCE
#include "hot.h"
#include "timeline.h"

#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <x86intrin.h>

#define MAX_RINGS 65536u
#define CHUNK 2048u /* events per record: 32 KB, well inside the writer's buffer */

uint32_t ls_tl_mask;
int ls_tl_tsc;
static uint32_t cap;          /* events a ring keeps: a power of two; 0 = off */
#define mask ls_tl_mask
#define use_tsc ls_tl_tsc
static uint64_t tsc0, mono0;  /* the start's pair */
static struct ls_tl *rings[MAX_RINGS];
static _Atomic uint32_t nrings;
static struct ls_spin copy_spin; /* guards copy[] */
static struct ls_rec_tl_event copy[CHUNK];
static uint32_t clock_gen;    /* ls_file_gen the clock record was written under */

static uint64_t mono_ns(void)
{
    return ls_tl_mono_ns();
}

/* A TSC pair: the TSC between two clock reads, against their middle. */
static void pair(uint64_t *tsc, uint64_t *mono)
{
    uint64_t a = mono_ns();
    *tsc = __rdtsc();
    uint64_t b = mono_ns();
    *mono = a + (b - a) / 2;
}

/* CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every
 * power state, the same on every CPU (what the kernel's "tsc" clock source
 * relies on as well). */
static int invariant_tsc(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return 0;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1;
}

void ls_tl_init(void)
{
    if (cap || ls_opt.timeline <= 0)
        return;
    uint32_t n = 64;
    while (n < (uint32_t)ls_opt.timeline)
        n <<= 1;
    use_tsc = invariant_tsc();
    if (use_tsc)
        pair(&tsc0, &mono0);
    mask = n - 1;
    cap = n;
}

int ls_tl_on(void)
{
    return cap != 0;
}

uint64_t ls_tl_now_ns(void)
{
    return mono_ns();
}

#define push ls_tl_push

/* The id a waited-for object is named by in the trace (its lock record is
 * written the first time: this thread is about to block anyway). */
static uint32_t object_id(struct ls_thread *t, const void *obj, uint32_t kind)
{
    uint32_t lkind = kind == LS_WAIT_COND ? LS_SYNC_COND
                     : kind == LS_WAIT_SEM ? LS_SYNC_SEM
                                           : LS_SYNC_BARRIER;
    struct ls_lock *o = obj ? ls_lock_get(t, obj, lkind) : NULL;
    if (!o)
        return 0;
    uint32_t id = ls_lock_id(o);
    ls_lock_ensure_written(o);
    return id;
}

void ls_tl_wait(struct ls_thread *t, uint32_t kind, struct ls_lock *lk, const void *obj,
                const struct ls_thread *other)
{
    uint32_t id = 0;
    if (kind == LS_WAIT_JOIN)
        id = other ? other->tid : 0;
    else if (kind == LS_WAIT_LOCK || kind == LS_WAIT_LOCK_READ)
        id = lk ? ls_lock_id(lk) : 0;
    else
        id = object_id(t, obj, kind);
    push(t->tl, LS_TL_WAIT_BEGIN, id, kind);
}

void ls_tl_wait_end(struct ls_thread *t)
{
    push(t->tl, LS_TL_WAIT_END, 0, 0);
}

/* ---- into the trace ----------------------------------------------------- */

struct conv {
    uint64_t tsc1, mono1;
};

static void conv_now(struct conv *c)
{
    if (use_tsc)
        pair(&c->tsc1, &c->mono1);
}

static uint64_t to_ns(const struct conv *c, uint64_t t)
{
    if (!use_tsc)
        return t;
    uint64_t dt = c->tsc1 - tsc0, dn = c->mono1 - mono0;
    if (c->tsc1 <= tsc0 || dt == 0)
        return mono0;
    if (t <= tsc0)
        return mono0 - (uint64_t)((unsigned __int128)(tsc0 - t) * dn / dt);
    return mono0 + (uint64_t)((unsigned __int128)(t - tsc0) * dn / dt);
}

static int record(int async, uint16_t type, const void *a, size_t alen, const void *b,
                  size_t blen)
{
    if (async)
        return ls_writer_record_try(type, a, alen, b, blen);
    ls_writer_record(type, a, alen, b, blen, NULL, 0);
    return 0;
}

static int write_clock(int async)
{
    if (clock_gen == ls_file_gen)
        return 0;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    struct ls_rec_timeline_clock c = {
        .mono_ns = mono_ns(),
        .real_ns = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec,
        .capacity = cap,
        .source = use_tsc ? LS_TL_SOURCE_TSC : LS_TL_SOURCE_CLOCK,
    };
    if (record(async, LS_REC_TIMELINE_CLOCK, &c, sizeof c, NULL, 0) != 0)
        return -1;
    clock_gen = ls_file_gen;
    return 0;
}

/* Writes ring r's unwritten events.  Caller holds r->spin and copy_spin. */
static void write_ring(struct ls_tl *r, const struct conv *cv, int async)
{
    if (write_clock(async) != 0)
        return;
    for (;;) {
        uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
        uint64_t from = r->written;
        if (h - from > cap)
            from = h - cap;
        if (from >= h)
            return;
        uint64_t to = from + CHUNK < h ? from + CHUNK : h;
        for (uint64_t i = from; i < to; i++)
            copy[i - from] = r->e[i & mask];
        atomic_thread_fence(memory_order_acquire);
        uint64_t h2 = atomic_load_explicit(&r->head, memory_order_relaxed);
        /* The owner may be writing slot h2 & mask right now, and has
         * overwritten the ones before it. */
        uint64_t safe = h2 >= cap ? h2 - cap + 1 : 0;
        uint64_t skip = safe > from ? safe - from : 0;
        if (skip >= to - from) {
            r->written = to; /* all overwritten while copied: try the newer ones */
            continue;
        }
        uint32_t n = (uint32_t)(to - from - skip);
        struct ls_rec_tl_event *ev = copy + skip;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t ns = to_ns(cv, ev[i].ns);
            if (ns < r->last_ns)
                ns = r->last_ns;
            ev[i].ns = r->last_ns = ns;
        }
        struct ls_rec_timeline rec = {
            .tid = r->tid,
            .n = n,
            .first = from + skip,
            .lost = from + skip - r->written,
        };
        if (record(async, LS_REC_TIMELINE, &rec, sizeof rec, ev, n * sizeof *ev) != 0)
            return;
        r->written = to;
    }
}

static int take(struct ls_spin *s, int async)
{
    if (!async) {
        ls_spin_lock(s);
        return 1;
    }
    for (int i = 0; i < 1000; i++) {
        if (ls_spin_trylock(s))
            return 1;
        __builtin_ia32_pause();
    }
    return 0;
}

static void write_one(struct ls_tl *r, const struct conv *cv, int async)
{
    if (!take(&r->spin, async))
        return;
    if (take(&copy_spin, async)) {
        write_ring(r, cv, async);
        ls_spin_unlock(&copy_spin);
    }
    ls_spin_unlock(&r->spin);
}

void ls_tl_write_all(int async)
{
    if (!cap)
        return;
    int saved = errno;
    ls_guard++;
    struct conv cv;
    conv_now(&cv);
    uint32_t n = atomic_load(&nrings);
    for (uint32_t i = 0; i < n && i < MAX_RINGS; i++) {
        struct ls_tl *r = __atomic_load_n(&rings[i], __ATOMIC_ACQUIRE);
        if (r && atomic_load_explicit(&r->head, memory_order_acquire) != r->written)
            write_one(r, &cv, async);
    }
    ls_guard--;
    errno = saved;
}

/* ---- thread life ----------------------------------------------------------- */

void ls_tl_thread_start(struct ls_thread *t)
{
    ls_tl_init();
    if (!cap)
        return;
    struct ls_tl *r = t->tl;
    if (!r) {
        uint32_t k = atomic_load(&nrings);
        if (k >= MAX_RINGS)
            return;
        r = ls_arena_alloc(sizeof *r + (size_t)cap * sizeof r->e[0]);
        if (!r)
            return;
        k = atomic_fetch_add(&nrings, 1);
        if (k >= MAX_RINGS)
            return; /* the memory stays unused: rings are never freed */
        __atomic_store_n(&rings[k], r, __ATOMIC_RELEASE);
    }
    /* A recycled state's ring was written at its thread's end. */
    ls_spin_lock(&r->spin);
    atomic_store(&r->head, 0);
    r->written = 0;
    r->last_ns = 0;
    r->tid = t->tid;
    ls_spin_unlock(&r->spin);
    t->tl = r;
    push(r, LS_TL_THREAD_START, 0, 0);
}

void ls_tl_thread_end(struct ls_thread *t)
{
    struct ls_tl *r = t->tl;
    if (!r)
        return;
    push(r, LS_TL_THREAD_END, 0, 0);
    int saved = errno;
    ls_guard++;
    struct conv cv;
    conv_now(&cv);
    write_one(r, &cv, 0);
    ls_guard--;
    errno = saved;
}

void ls_tl_after_fork_child(struct ls_thread *self)
{
    copy_spin.v = 0;
    uint32_t n = atomic_load(&nrings);
    for (uint32_t i = 0; i < n && i < MAX_RINGS; i++) {
        struct ls_tl *r = rings[i];
        if (!r)
            continue;
        r->spin.v = 0;
        if (!self || r != self->tl)
            r->written = atomic_load(&r->head);
    }
}
