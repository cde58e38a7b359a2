/*
 * The contention profile: per lock, acquisitions, the ones that had to
 * wait, owner changes, wait time (every wait, measured on the slow path
 * only), hold time and the call sites that waited longest.
 *
 * Holds: the fast path reads no clock.  Short holds are timed on one
 * acquisition in LS_PROFILE_SAMPLE and on those that waited; the long ones
 * all.  A ticker thread stores CLOCK_MONOTONIC into ls_coarse_ns every
 * LS_PROFILE_TICK_MS; an acquisition copies it (a load of a line written
 * 200 times a second), and a release that finds it changed (the hold
 * outlasted a tick: a long hold, or the holder was preempted or slept)
 * reads the clock and times the hold from the tick before it began.  So
 * the long-hold report misses no hold longer than LS_PROFILE_TICK_MS.
 */
#define _GNU_SOURCE
#include "hot.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

_Atomic uint64_t ls_coarse_ns;

uint64_t ls_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct ls_profile *profile_of(struct ls_lock *lk)
{
    struct ls_profile *p = __atomic_load_n(&lk->prof, __ATOMIC_ACQUIRE);
    if (likely(p))
        return p;
    struct ls_profile *n = ls_arena_alloc(sizeof *n);
    if (!n)
        return NULL;
    struct ls_profile *expected = NULL;
    if (!__atomic_compare_exchange_n(&lk->prof, &expected, n, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return expected; /* another thread was first; ours stays unused */
    return n;
}

static inline void add(_Atomic uint64_t *c, uint64_t v, int shared)
{
    if (shared)
        atomic_fetch_add_explicit(c, v, memory_order_relaxed);
    else /* the holder alone writes: no locked instruction needed */
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                              memory_order_relaxed);
}

static inline void max_of(_Atomic uint64_t *c, uint64_t v)
{
    uint64_t cur = atomic_load_explicit(c, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak_explicit(c, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed))
        ;
}

static void count_wait_site(struct ls_profile *p, uint64_t ret, uint64_t waited)
{
    /* A site already known: counted without the lock (the usual case). */
    for (int i = 0; i < LS_PROFILE_SITES; i++)
        if (__atomic_load_n(&p->sites[i].ret, __ATOMIC_ACQUIRE) == ret) {
            __atomic_fetch_add(&p->sites[i].waits, 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&p->sites[i].wait_ns, waited, __ATOMIC_RELAXED);
            return;
        }
    ls_spin_lock(&p->site_spin);
    int slot = -1, smallest = 0;
    for (int i = 0; i < LS_PROFILE_SITES; i++) {
        if (p->sites[i].ret == ret) {
            slot = i;
            break;
        }
        if (p->sites[i].wait_ns < p->sites[smallest].wait_ns)
            smallest = i;
    }
    int fresh = slot < 0;
    if (fresh) {
        slot = smallest; /* the site that waited least makes room */
        memset(&p->sites[slot], 0, sizeof p->sites[slot]);
        p->sites[slot].ret = ret;
    }
    p->sites[slot].waits++;
    p->sites[slot].wait_ns += waited;
    ls_spin_unlock(&p->site_spin);
    if (fresh) {
        uint32_t st = ls_stack_here(); /* a new waiting site: worth a stack */
        ls_spin_lock(&p->site_spin);
        if (p->sites[slot].ret == ret)
            p->sites[slot].stack = st;
        ls_spin_unlock(&p->site_spin);
    }
}

#define TICK_NS (LS_PROFILE_TICK_MS * 1000000ull)
#define TICK_HIST 64

/* The last TICK_HIST ticks, so that a release can find the first tick
 * after its acquisition: on a loaded machine the ticker may wake late, and
 * a hold then began anywhere between the tick it copied and that one. */
static _Atomic uint64_t tick_hist[TICK_HIST];
static _Atomic uint32_t tick_seq;
static _Atomic uint64_t tick_late_ns; /* the oldest ls_coarse_ns got, less a tick */

/* When the next tick is due (CLOCK_MONOTONIC), 0 while no one ticks. */
static _Atomic uint64_t tick_due;
static uint64_t tick_last;

uint64_t ls_profile_tick_due(void)
{
    return atomic_load_explicit(&tick_due, memory_order_acquire);
}

/* One tick: a tick's time after the end of the one before, as a thread
 * that sleeps a tick between them has it. */
void ls_profile_tick(void)
{
    uint64_t now = ls_mono_ns();
    uint32_t seq = atomic_load_explicit(&tick_seq, memory_order_relaxed) + 1;
    atomic_store_explicit(&tick_hist[seq % TICK_HIST], now, memory_order_relaxed);
    atomic_store_explicit(&tick_seq, seq, memory_order_relaxed);
    atomic_store_explicit(&ls_coarse_ns, now, memory_order_release);
    /* How old the value it replaced was by then (a late wake, or a
     * preemption between reading the clock and storing it). */
    uint64_t stored = ls_mono_ns();
    if (stored - tick_last > TICK_NS && stored - tick_last - TICK_NS > atomic_load(&tick_late_ns))
        atomic_store(&tick_late_ns, stored - tick_last - TICK_NS);
    tick_last = now;
    atomic_store_explicit(&tick_due, stored + TICK_NS, memory_order_release);
}

/* The ticker of its own, when no watchdog runs (deadlock=off) to tick. */
static void *ticker_main(void *arg)
{
    ls_guard = 1;
    struct timespec ts = {0, (long)TICK_NS};
    for (;;) {
        nanosleep(&ts, NULL);
        /* The program's last thread has ended (pthread_exit in main, or a
         * forked child's thread returned): this thread must not keep the
         * process alive. */
        if (atomic_load(&ls_live_count) == 0)
            return arg;
        ls_profile_tick();
    }
    return arg;
}

/* The first tick after `since`, or 0 if the history no longer goes back
 * that far (every tick it holds is later: the first may be gone). */
static uint64_t tick_after(uint64_t since)
{
    uint64_t best = 0;
    int later = 0;
    for (int i = 0; i < TICK_HIST; i++) {
        uint64_t t = atomic_load_explicit(&tick_hist[i], memory_order_relaxed);
        if (t > since) {
            later++;
            if (!best || t < best)
                best = t;
        }
    }
    return later == TICK_HIST ? 0 : best;
}

static _Atomic int ticking;

void ls_profile_threads_start(void)
{
    if (!ls_opt.profile || atomic_exchange(&ticking, 1))
        return;
    uint64_t now = ls_mono_ns();
    tick_last = now;
    atomic_store(&ls_coarse_ns, now);
    /* The watchdog ticks between its checks when there is one: a thread
     * fewer to start (some 100 us of every process that starts a thread). */
    atomic_store_explicit(&tick_due, now + TICK_NS, memory_order_release);
    if (ls_deadlock_take_ticks(now + TICK_NS))
        return;
    atomic_store(&tick_due, 0);
    pthread_t th;
    if (ls_shim_thread(&th, 64 * 1024, ticker_main) != 0)
        atomic_store(&ls_coarse_ns, 0); /* no ticker: short holds sampled only */
}

void ls_profile_after_fork_child(void)
{
    /* The ticker did not come along: a frozen clock would hide long holds
     * as well as none, and the next thread started starts it again. */
    atomic_store(&ls_coarse_ns, 0);
    atomic_store(&tick_due, 0);
    atomic_store(&ticking, 0);
    atomic_store(&tick_late_ns, 0);
}

void ls_profile_acquired(struct ls_thread *t, struct ls_lock *lk, struct ls_held *h,
                         uint64_t waited_ns, uint64_t ret)
{
    if (unlikely(!ls_opt.profile)) {
        t->hold_countdown = UINT32_MAX; /* keeps the fast path off this one */
        return;
    }
    int shared = h->read;
    add(&lk->acquisitions, 1, shared);
    uint32_t last = lk->w.last_tid;
    if (last && last != t->tid)
        add(&lk->owner_changes, 1, shared);
    if (likely(!waited_ns) && likely(t->hold_countdown != 0)) {
        /* the usual case: nothing that needs the rest of the profile */
        h->since_ns = 0;
        t->hold_countdown--;
        return;
    }
    struct ls_profile *p = profile_of(lk);
    if (!p)
        return;
    if (unlikely(waited_ns)) {
        add(&p->contended, 1, 1);
        add(&p->wait_ns, waited_ns, 1);
        max_of(&p->wait_max_ns, waited_ns);
        ls_guard++;
        count_wait_site(p, ret, waited_ns);
        ls_guard--;
    }
    if (unlikely(t->hold_countdown == 0)) {
        t->hold_countdown = LS_PROFILE_SAMPLE;
        h->since_ns = ls_mono_ns();
    } else {
        h->since_ns = 0;
    }
    t->hold_countdown--;
}

void ls_profile_released(struct ls_thread *t, struct ls_lock *lk, struct ls_held *h)
{
    (void)t;
    uint64_t tick = atomic_load_explicit(&ls_coarse_ns, memory_order_relaxed);
    int long_hold = h->since_tick && tick != h->since_tick;
    if (likely(!h->since_ns && !long_hold))
        return;
    struct ls_profile *p = long_hold ? profile_of(lk) : lk->prof;
    if (!p)
        return;
    uint64_t now = ls_mono_ns();
    if (long_hold) {
        /* Timed exactly if it was sampled.  Else it began between the tick
         * it copied and the next one: its longest is counted from the one
         * it copied (never too short: no long hold is missed; too long by
         * less than the time between the two, a tick unless the ticker
         * woke late: hold_slack_ns), its total from the next one (a hold
         * shorter than a tick that spans one mostly began just before it,
         * so that counting from the one before would double the short
         * holds' total). */
        uint64_t next = tick_after(h->since_tick);
        if (next > now)
            next = 0;
        uint64_t from = h->since_tick;
        if (!next) { /* the history no longer goes back to it: a long hold */
            uint64_t gap = TICK_NS + atomic_load(&tick_late_ns);
            next = from + gap < now ? from + gap : now;
        }
        if (h->since_ns)
            from = h->since_ns;
        uint64_t begun = h->since_ns ? h->since_ns : next;
        add(&p->long_holds, 1, 1);
        add(&p->long_hold_ns, now > begun ? now - begun : 0, 1);
        max_of(&p->hold_max_ns, now - from);
        if (!h->since_ns)
            max_of(&p->hold_slack_ns, next > from ? next - from : 0);
        return;
    }
    uint64_t held = now - h->since_ns;
    add(&p->hold_samples, 1, 1);
    add(&p->hold_sampled_ns, held, 1);
    max_of(&p->hold_max_ns, held);
}

void ls_profile_write(struct ls_lock *lk)
{
    if (!ls_opt.profile)
        return;
    struct ls_profile *p = lk->prof;
    uint32_t id = atomic_load(&lk->id);
    if (!id || atomic_load(&lk->acquisitions) == 0)
        return;
    static struct ls_profile none; /* a lock never waited for nor sampled */
    if (!p)
        p = &none;
    struct ls_rec_profile r = {
        .lock = id,
        .acquisitions = atomic_load(&lk->acquisitions),
        .contended = atomic_load(&p->contended),
        .owner_changes = atomic_load(&lk->owner_changes),
        .wait_ns = atomic_load(&p->wait_ns),
        .wait_max_ns = atomic_load(&p->wait_max_ns),
        .hold_samples = atomic_load(&p->hold_samples),
        .hold_sampled_ns = atomic_load(&p->hold_sampled_ns),
        .hold_max_ns = atomic_load(&p->hold_max_ns),
        .long_holds = atomic_load(&p->long_holds),
        .long_hold_ns = atomic_load(&p->long_hold_ns),
        .hold_slack_ns = atomic_load(&p->hold_slack_ns),
    };
    struct ls_rec_profile_site sites[LS_PROFILE_SITES];
    if (p == &none) {
        ls_lock_ensure_written(lk);
        ls_writer_record(LS_REC_PROFILE, &r, sizeof r, NULL, 0, NULL, 0);
        return;
    }
    ls_spin_lock(&p->site_spin);
    for (int i = 0; i < LS_PROFILE_SITES; i++)
        if (p->sites[i].ret) {
            sites[r.nsites].stack = p->sites[i].stack;
            sites[r.nsites].reserved = 0;
            sites[r.nsites].waits = p->sites[i].waits;
            sites[r.nsites].wait_ns = p->sites[i].wait_ns;
            r.nsites++;
        }
    ls_spin_unlock(&p->site_spin);
    ls_lock_ensure_written(lk);
    ls_writer_record(LS_REC_PROFILE, &r, sizeof r, sites, r.nsites * sizeof sites[0], NULL, 0);
}

static void reset(struct ls_lock *lk)
{
    ls_profile_write(lk);
    atomic_store(&lk->acquisitions, 0);
    atomic_store(&lk->owner_changes, 0);
    if (lk->prof)
        memset(lk->prof, 0, sizeof *lk->prof);
}

void ls_profile_write_all(void)
{
    if (!ls_opt.profile)
        return;
    ls_locks_for_each(ls_profile_write);
}

void ls_profile_destroyed(struct ls_lock *lk)
{
    reset(lk);
}
