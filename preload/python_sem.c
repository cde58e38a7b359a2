/*
 * CPython's semaphores: Python's Lock and RLock, Condition waiters, thread
 * sentinels (see python.c for what is read from the interpreter, and how).
 *
 * Acquire: the first sem_trywait (the GIL held) takes the Python stack, by
 * its site; a success is the acquisition, a failure is followed by the
 * blocking wait (the GIL released), which reuses that stack.  Untimed waits
 * are sliced for the deadlock checks.  Release: sem_post, which never calls
 * the interpreter; one by a thread that does not hold the lock makes it a
 * signal.
 */
#define _GNU_SOURCE
#include "python.h"

#include <errno.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>

int ls_py_sem_init(void *s, int pshared, unsigned value)
{
    int r = ls_real.sem_init(s, pshared, value);
    struct ls_thread *t = ls_enter();
    if (!t || r != 0)
        return r;
    int saved = errno;
    if (value != 1 && !ls_lock_known(s)) {
        errno = saved;
        return r;
    }
    struct ls_lock *lk = ls_lock_get(t, s, LS_SYNC_SEM);
    if (!lk) {
        errno = saved;
        return r;
    }
    uint32_t role = ROLE_INTERNAL, site = 0;
    if (value == 1 && !pshared) {
        ls_guard++;
        void *ts = ls_py_tstate();
        if (ts) {
            role = ROLE_LOCK;
            site = ls_py_site(ts, &role);
            if (!site)
                role = ROLE_INTERNAL; /* made by C code, no Python frame */
        }
        ls_guard--;
    }
    atomic_store(&lk->py_owner, NULL);
    atomic_store(&lk->py_named, 0);
    atomic_store(&lk->py_tid, 0);
    atomic_store(&lk->py_joiner, 0);
    switch (role) {
    case ROLE_LOCK:
        ls_site_stack = site;
        ls_lock_init_event(lk, LS_LOCK_PY);
        ls_site_stack = 0;
        atomic_store(&lk->py, LS_PYSEM_LOCK);
        break;
    case ROLE_WAITER:
        lk->kind = LS_SYNC_SEM;
        atomic_store(&lk->py, LS_PYSEM_SIGNAL);
        break;
    case ROLE_SENTINEL:
        lk->kind = LS_SYNC_SEM;
        atomic_store(&lk->py, LS_PYSEM_SENTINEL);
        break;
    default:
        lk->kind = LS_SYNC_SEM;
        atomic_store(&lk->py, LS_PYSEM_NONE);
    }
    /* Making a Python lock publishes what its maker did so far to whoever
     * takes it first: a Future's Condition is made in submit(), and the
     * worker takes it before it runs the task, where the work item itself
     * came through a SimpleQueue without any libc call.  An edge more can
     * only hide a Python race, never invent one. */
    if (site)
        ls_sync_release(t, s, LS_SYNC_SEM);
    errno = saved;
    return r;
}

void ls_py_sem_destroy(void *s)
{
    struct ls_thread *t = ls_enter();
    if (!t || !ls_lock_known(s))
        return;
    struct ls_lock *lk = ls_lock_get(t, s, LS_SYNC_SEM);
    if (!lk)
        return;
    int saved = errno;
    if (atomic_exchange(&lk->py, LS_PYSEM_NONE) == LS_PYSEM_LOCK) {
        ls_lock_destroy_event(lk);
        lk->kind = LS_SYNC_SEM;
    }
    atomic_store(&lk->py_owner, NULL);
    errno = saved;
}

/* The entry of a semaphore the shim has seen, else NULL: its home slot
 * first, the one an acquisition nearly always finds. */
static inline struct ls_lock *sem_entry(struct ls_thread *t, const void *s)
{
    struct ls_lock *e = ls_lock_at_home(s);
    if (likely(e) || !t || !ls_lock_known(s))
        return e;
    return ls_lock_get(t, s, LS_SYNC_SEM);
}

/* The blocking wait that follows a failed try on the same semaphore is the
 * same acquisition: the stack taken at the try (GIL held) is its stack. */
static __thread const void *pend_sem LS_TLS;
static __thread uint32_t pend_site LS_TLS;

/* Held locks that are no longer locks (posted by another thread, destroyed
 * and made again) leave the held stack. */
static void purge(struct ls_thread *t)
{
    for (uint32_t i = t->nheld; i-- > 0;) {
        struct ls_held *h = &t->held[i];
        struct ls_lock *lk = h->lk;
        if (!ls_lock_is_py(lk) ||
            (atomic_load(&lk->py) == LS_PYSEM_LOCK && atomic_load(&lk->id) == h->id))
            continue;
        t->heldhash ^= h->mix;
        memmove(h, h + 1, (t->nheld - i - 1) * sizeof *h);
        t->nheld--;
    }
}

/* What stands for the call site (the profile's waiting sites are told
 * apart by it): the Python stack, not the interpreter's one call of
 * sem_wait that every Python acquisition shares. */
static inline uint64_t site_key(uint32_t site, uint64_t ret)
{
    return site ? (1ull << 63) | site : ret;
}

static void set_held_stack(struct ls_thread *t, struct ls_lock *lk, uint32_t site)
{
    struct ls_held *h = site ? ls_held_find(t, lk) : NULL;
    if (h) {
        h->stack = site;
        h->stack_gen = (uint16_t)ls_file_gen;
        h->approx = 0;
    }
}

/* A joiner took the sentinel of a thread that ended (Thread.join, 3.11 and
 * 3.12, where Python threads are detached and never pthread_join'ed):
 * everything that thread did happened before what the joiner does next. */
static void joined(struct ls_thread *t, struct ls_lock *lk, uint32_t site)
{
    uint32_t tid = atomic_load(&lk->py_tid);
    if (!tid || tid == t->tid || atomic_exchange(&lk->py_joiner, t->tid) == t->tid)
        return;
    ls_guard++;
    struct ls_rec_join r = {
        .joiner = t->tid,
        .joiner_epoch = t->epoch,
        .joined = tid,
        .joined_epoch = atomic_load(&lk->py_epoch),
        .stack = site,
    };
    ls_writer_record(LS_REC_JOIN, &r, sizeof r, NULL, 0, NULL, 0);
    t->epoch++;
    ls_guard--;
}

static void sentinel_taken(struct ls_thread *t, struct ls_lock *lk, uint32_t site)
{
    struct ls_thread *none = NULL;
    /* The first to take a sentinel is the thread it stands for; later
     * takers are joiners, after it ended. */
    if (!atomic_load(&lk->py_named) && atomic_compare_exchange_strong(&lk->py_owner, &none, t)) {
        atomic_store(&lk->py_named, 1);
        atomic_store(&lk->py_tid, 0);
        atomic_store(&lk->py_joiner, 0);
        return;
    }
    joined(t, lk, site);
}

/* ls_file_gen when the calling thread's name was written. */
static __thread uint32_t thread_named LS_TLS;

int ls_py_sem_trywait(void *s, uint64_t ret, uint64_t cfa)
{
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk = t ? sem_entry(t, s) : NULL;
    uint32_t role = lk ? atomic_load(&lk->py) : LS_PYSEM_NONE;
    if (role != LS_PYSEM_LOCK && role != LS_PYSEM_SENTINEL) {
        int r = ls_real.sem_trywait(s);
        if (r == 0 && t) {
            int saved = errno;
            ls_sync_acquire(t, s, LS_SYNC_SEM);
            errno = saved;
        }
        return r;
    }
    int saved = errno;
    ls_guard++;
    void *ts = ls_py_tstate();
    uint32_t site = ts ? ls_py_site(ts, NULL) : 0;
    if (ts)
        ls_pyr_gil(ts, 0);
    if (ts && thread_named != ls_file_gen) {
        thread_named = ls_file_gen;
        ls_py_name_thread(ts, t);
    }
    ls_guard--;
    errno = saved;
    int r = ls_real.sem_trywait(s);
    saved = errno;
    if (r != 0) {
        pend_sem = s;
        pend_site = site;
    } else if (role == LS_PYSEM_SENTINEL) {
        sentinel_taken(t, lk, site);
        ls_sync_acquire(t, s, LS_SYNC_SEM);
    } else {
        purge(t);
        if (ts && atomic_load(&lk->py_named) != (uint16_t)ls_file_gen) {
            ls_guard++;
            ls_py_name_lock(ts, lk, s);
            ls_guard--;
        }
        ls_site_stack = site;
        ret = site_key(site, ret);
        ls_acquire_pre(t, lk, 0, ret, cfa);
        ls_acquire_post(t, lk, 0, ret, cfa);
        set_held_stack(t, lk, site);
        ls_site_stack = 0;
    }
    errno = saved;
    return r;
}

static int real_wait(void *s, int clk, const struct timespec *abst)
{
    if (clk < 0)
        return ls_real.sem_wait(s);
    if (clk == CLOCK_REALTIME && !ls_real.sem_clockwait)
        return ls_real.sem_timedwait(s, abst);
    return ls_real.sem_clockwait(s, (clockid_t)clk, abst);
}

/* An untimed wait for a Python lock or a thread's sentinel: published, then
 * the real blocking call; the watchdog looks for wait-for cycles (a thread
 * waiting for a Lock it holds itself is one, once every thread is blocked
 * for good). */
static int blocking_wait(struct ls_thread *t, void *s, uint32_t kind, struct ls_lock *lk,
                  struct ls_thread *other)
{
    if (!ls_opt.deadlock)
        return ls_real.sem_wait(s);
    uint64_t t0 = ls_mono_ns();
    ls_wait_begin(t, kind, lk, s, other);
    if (ls_site_stack)
        ls_wait_publish_stacks(t);
    int r = ls_real.sem_wait(s);
    int saved = errno;
    ls_wait_end(t);
    t->last_wait_ns = ls_mono_ns() - t0 + 1;
    errno = saved;
    return r;
}

int ls_py_sem_wait(void *s, int clk, const struct timespec *abst, uint64_t ret, uint64_t cfa)
{
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk = t ? sem_entry(t, s) : NULL;
    uint32_t role = lk ? atomic_load(&lk->py) : LS_PYSEM_NONE;
    if (role != LS_PYSEM_LOCK && role != LS_PYSEM_SENTINEL)
        return -2; /* not a Python lock: the usual semaphore wait */
    int tried = pend_sem == s;
    uint32_t site = tried ? pend_site : 0;
    pend_sem = NULL;
    if (role == LS_PYSEM_LOCK && !tried) {
        /* Python's acquire always tries first, with the GIL held; a
         * blocking wait without that is the interpreter's own C code (a
         * lock it made while a Python frame ran: at fork, in imports). */
        uint16_t expect = LS_PYSEM_LOCK;
        if (atomic_compare_exchange_strong(&lk->py, &expect, LS_PYSEM_NONE)) {
            ls_guard++;
            ls_py_write_pylock(lk, LS_PYLOCK_SIGNAL, NULL);
            ls_guard--;
        }
        return -2;
    }
    int r, saved;
    if (role == LS_PYSEM_SENTINEL) {
        struct ls_thread *owner = atomic_load(&lk->py_owner);
        ls_site_stack = site;
        r = clk < 0 && owner && owner != t ? blocking_wait(t, s, LS_WAIT_JOIN, NULL, owner)
                                            : real_wait(s, clk, abst);
        ls_site_stack = 0;
        saved = errno;
        if (r == 0) {
            ls_sync_acquire(t, s, LS_SYNC_SEM);
            joined(t, lk, site);
        }
        errno = saved;
        return r;
    }
    purge(t);
    int flags = clk >= 0 ? LS_ACQ_TIMED : 0;
    ls_site_stack = site;
    ret = site_key(site, ret);
    int held = ls_acquire_pre(t, lk, flags, ret, cfa);
    r = clk < 0 ? blocking_wait(t, s, LS_WAIT_LOCK, lk, held ? t : NULL) : real_wait(s, clk, abst);
    saved = errno;
    if (r == 0) {
        ls_acquire_post(t, lk, flags, ret, cfa);
        set_held_stack(t, lk, site);
    }
    ls_site_stack = 0;
    errno = saved;
    return r;
}

/* From sem_post: never calls the interpreter, never waits. */
int ls_py_sem_post(void *s)
{
    struct ls_thread *t = ls_self;
    if (!t || ls_guard || !atomic_load_explicit(&ls_active, memory_order_relaxed))
        return 0;
    struct ls_lock *lk = sem_entry(t, s);
    if (!lk)
        return 0;
    uint32_t role = atomic_load(&lk->py);
    if (role == LS_PYSEM_LOCK) {
        if (ls_release(t, lk))
            return 1;
        /* Released by a thread that does not hold it: a signal. */
        uint16_t expect = LS_PYSEM_LOCK;
        if (atomic_compare_exchange_strong(&lk->py, &expect, LS_PYSEM_SIGNAL)) {
            ls_guard++;
            ls_py_write_pylock(lk, LS_PYLOCK_SIGNAL, NULL);
            ls_guard--;
        }
    } else if (role == LS_PYSEM_SENTINEL && atomic_load(&lk->py_owner) == t) {
        /* The thread ends (the runtime releases its sentinel as it deletes
         * its state): its last epoch is what a joiner learns. */
        atomic_store(&lk->py_epoch, t->epoch);
        atomic_store(&lk->py_tid, t->tid);
        atomic_store(&lk->py_owner, NULL);
    }
    return 0;
}

