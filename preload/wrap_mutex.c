/*
 * pthread_mutex_* wrappers.  Shape of each: guard, pre-event, real call,
 * post-event; the program's return value and errno are returned untouched.
 * Unlock is recorded before the real unlock and lock after it succeeds, so
 * the trace's order respects happens-before.
 */
#define _GNU_SOURCE
#include "hot.h"
#include "synclife.h"
#include "wrap.h"

#include <errno.h>

static uint32_t mutex_kind(const pthread_mutex_t *m)
{
    /* glibc keeps the type in the low bits of __kind, also for statically
     * initialized mutexes (PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP). */
    switch (m->__data.__kind & 3) {
    case PTHREAD_MUTEX_RECURSIVE:
        return LS_LOCK_MUTEX_RECURSIVE;
    case PTHREAD_MUTEX_ERRORCHECK:
        return LS_LOCK_MUTEX_ERRORCHECK;
    default:
        return LS_LOCK_MUTEX;
    }
}

/* The mutex's entry.  Its type is read only for a new entry: the usual
 * lookup touches the mutex no sooner than glibc does. */
static inline struct ls_lock *mutex_entry(pthread_mutex_t *m)
{
    struct ls_lock *lk = ls_lock_at_home(m);
    return likely(lk) ? lk : ls_lock_get_slow(m, mutex_kind(m));
}

#define RET ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* glibc's owner of a locked mutex (its kernel thread id), 0 if none. */
static inline uint32_t owner_of(const pthread_mutex_t *m)
{
    return (uint32_t)m->__data.__owner & 0x3fffffff;
}

/* Locked by a thread that exists: not a copy a forked child inherited from
 * a thread of its parent, nor left by a thread that ended holding it (both
 * reported on their own), which initializing or destroying cleans up. */
static int locked_by_live_thread(struct ls_thread *t, struct ls_lock *lk,
                                 const pthread_mutex_t *m)
{
    uint32_t owner = owner_of(m);
    if (owner == t->os_tid || ls_held_find(t, lk))
        return 1;
    return owner ? ls_os_tid_alive(owner) : ls_holder_of(t, lk, 0, NULL) != NULL;
}

/* In use: the misuse names the thread that holds it and where it took it. */
static void in_use(struct ls_thread *t, uint32_t rule, uint32_t call, struct ls_lock *lk,
                   const pthread_mutex_t *m, uint64_t ret)
{
    struct ls_misuse_info mi = {.rule = rule, .call = call, .lk = lk, .ret = ret};
    if (!ls_held_find(t, lk)) {
        struct ls_thread *h = ls_holder_of(t, lk, owner_of(m), &mi.other_stack);
        mi.other_tid = h ? h->tid : 0;
    }
    ls_misuse_ex(t, &mi);
}

LS_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    LS_ENSURE_REAL(mutex_init);
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    /* Only a mutex the shim has seen in use can be "in use": the memory of
     * a fresh one may hold anything. */
    if (t && ls_lock_known(m) && m->__data.__lock != 0) {
        struct ls_lock *lk = ls_lock_get(t, m, mutex_kind(m));
        if (lk && atomic_load(&lk->id)) {
            if (locked_by_live_thread(t, lk, m) && !ls_held_inherited(t, lk))
                in_use(t, LS_MISUSE_REINIT_IN_USE, LS_CALL_MUTEX_INIT, lk, m, RET);
            /* init leaves it unlocked: whoever held it (we) no longer does */
            while (ls_release(t, lk) && ls_held_find(t, lk))
                ;
        }
    }
    int r = ls_real.mutex_init(m, a);
    if (t && r == 0) {
        struct ls_lock *lk = ls_lock_get(t, m, mutex_kind(m));
        if (lk)
            ls_lock_init_event(lk, mutex_kind(m));
        ls_sl_write(t, lk, LS_CALL_MUTEX_INIT, RET, 0);
    } else if (t) {
        ls_call_error(t, LS_CALL_MUTEX_INIT, NULL, RET, r);
    }
    return r;
}

LS_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_destroy);
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    struct ls_lock *lk = t ? ls_lock_get(t, m, LS_LOCK_MUTEX) : NULL;
    if (lk && m->__data.__lock != 0) {
        if (locked_by_live_thread(t, lk, m))
            in_use(t, LS_MISUSE_DESTROY_LOCKED, LS_CALL_MUTEX_DESTROY, lk, m, RET);
        return ls_real.mutex_destroy(m); /* EBUSY: it stays the same lock */
    }
    ls_sl_write(t, lk, LS_CALL_MUTEX_DESTROY, RET, 1);
    if (lk)
        ls_lock_destroy_event(lk);
    int r = ls_real.mutex_destroy(m);
    if (r != 0 && t)
        ls_call_error(t, LS_CALL_MUTEX_DESTROY, lk, RET, r);
    return r;
}

/* The common body of every acquiring call: `call` is made untraced when
 * the thread or lock is not tracked, traced otherwise. */
#define ACQUIRE(code, flags, call, traced_call)                                    \
    ACQUIRE_AT(code, flags, call, traced_call, (uint64_t)(uintptr_t)__builtin_return_address(0), \
               (uint64_t)(uintptr_t)__builtin_dwarf_cfa())
/* ... called from ret with stack pointer cfa */
#define ACQUIRE_AT(code, flags, call, traced_call, ret0, cfa0)                           \
    do {                                                                            \
        struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();               \
        struct ls_lock *lk;                                                         \
        if (!t || !(lk = mutex_entry(m)))                                          \
            return call;                                                            \
        uint64_t ret = (ret0);                                                      \
        uint64_t cfa = (cfa0);                                                      \
        if (unlikely(ls_outer_ret)) {                                               \
            ret = ls_outer_ret;                                                     \
            cfa = ls_outer_cfa;                                                     \
            ls_outer_ret = 0;                                                       \
        }                                                                           \
        ls_sl_use(t, lk, code, ret);                                                \
        int held = ls_acquire_pre(t, lk, flags, ret, cfa);                          \
        int r = traced_call;                                                        \
        if (r == 0)                                                                 \
            ls_acquire_post(t, lk, flags, ret, cfa);                                \
        else                                                                        \
            acquire_failed(t, lk, m, ret, cfa, flags, held, r, code);               \
        return r;                                                                   \
    } while (0)

/* What a failed acquisition means.  A robust mutex whose owner died is
 * acquired all the same (EOWNERDEAD).  EBUSY (try) and ETIMEDOUT (timed)
 * are what those calls are for. */
static void acquire_failed(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m,
                           uint64_t ret, uint64_t cfa, int flags, int held, int r, uint32_t call)
{
    if (r == EOWNERDEAD) {
        atomic_store(&ls_owner_died, 1);
        ls_acquire_post(t, lk, flags, ret, cfa);
        return;
    }
    if (r == EDEADLK && held) {
        struct ls_misuse_info mi = {.rule = LS_MISUSE_ERRORCHECK_RELOCK, .call = call, .lk = lk,
                                    .ret = ret, .result = r};
        ls_misuse_ex(t, &mi);
    } else if (r != EBUSY && r != ETIMEDOUT) {
        ls_call_error(t, call, lk, ret, r);
    }
    (void)m;
}

/* A plain (non-recursive, non-error-checking) mutex locked again by the
 * thread that owns it never returns. */
static int relocks_own(struct ls_thread *t, pthread_mutex_t *m)
{
    return mutex_kind(m) == LS_LOCK_MUTEX && (uint32_t)m->__data.__owner == t->os_tid;
}

/* Only a thread that has to wait pays for deadlock detection: try first. */
static int lock_blocking(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m, int held,
                         uint64_t ret, uint64_t cfa)
{
    if (unlikely(held) && relocks_own(t, m)) {
        ls_misuse(t, LS_MISUSE_PLAIN_RELOCK, lk, ret, 0);
        ls_self_deadlock(t, lk, m, LS_WAIT_LOCK);
    }
    /* With one thread and the mutex free, nobody can make us wait: no wait
     * to publish, and glibc's lock has a fast path for single-threaded
     * processes that its trylock lacks.  (A held mutex in a one-thread
     * process is a forked child's copy of another thread's lock.) */
    if (ls_live_threads() <= 1 && m->__data.__lock == 0)
        return ls_real.mutex_lock(m);
    int r = ls_real.mutex_trylock(m);
    if (likely(r != EBUSY))
        return r;
    return ls_wait_mutex(t, lk, m, ret, cfa);
}

/* A timed lock is in the wait-for graph too, waiting in the real call with
 * the program's own deadline: a timed waiter that gives up (and backs off)
 * starts a new wait each time, so it is never confirmed in a cycle, while
 * one with a deadline far away is caught like any other. */
static int timed_blocking(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m,
                          clockid_t clk, const struct timespec *abstime, int held, int timed)
{
    /* (pthread_mutex_clocklock's wrapper made sure ls_real.mutex_clocklock
     * is resolved; pthread_mutex_timedlock's, ls_real.mutex_timedlock.) */
    int (*const real)(pthread_mutex_t *, clockid_t, const struct timespec *) =
        ls_real.mutex_clocklock;
    if (held || !abstime || !ls_opt.deadlock)
        return timed ? ls_real.mutex_timedlock(m, abstime) : real(m, clk, abstime);
    int r = ls_real.mutex_trylock(m);
    if (r != EBUSY)
        return r;
    uint64_t t0 = ls_mono_ns();
    ls_wait_begin_timed(t, LS_WAIT_LOCK, lk, m, clk, abstime);
    r = timed ? ls_real.mutex_timedlock(m, abstime) : real(m, clk, abstime);
    ls_wait_end(t);
    if (r == 0)
        t->last_wait_ns = ls_mono_ns() - t0 + 1;
    return r;
}

/* Every case of pthread_mutex_lock, for a call from ret with stack pointer
 * cfa. */
static int __attribute__((noinline)) lock_slow(pthread_mutex_t *m, uint64_t ret0, uint64_t cfa0)
{
    LS_ENSURE_REAL(mutex_lock);
    ACQUIRE_AT(LS_CALL_MUTEX_LOCK, 0, ls_real.mutex_lock(m), lock_blocking(t, lk, m, held, ret, cfa),
               ret0, cfa0);
}

/* The usual lock, as ACQUIRE and ls_acquire_post would take it: a traced
 * thread holding nothing (no edge can be new), a lock with its id, no
 * timeline, no sampled hold due.  Its entry, or NULL for the general path. */
LS_FAST struct ls_lock *lock_fast_entry(struct ls_thread *t, pthread_mutex_t *m)
{
    /* (ls_active is set only once the real functions are resolved; the
     * thread's own reasons for the general path are or-ed, not tested one
     * by one: one branch) */
    if (unlikely(!t))
        return NULL;
    if (unlikely(((uint64_t)(uint32_t)ls_guard |
                  (uint64_t)atomic_load_explicit(&t->ring_pending, memory_order_relaxed) |
                  (uintptr_t)t->tl | t->nheld | t->last_wait_ns | ls_outer_ret) != 0 ||
                 !atomic_load_explicit(&ls_active, memory_order_relaxed) ||
                 t->hold_countdown == 0 || ls_py_internal(m)))
        return NULL;
    struct ls_lock *lk = ls_lock_at_home(m);
    if (unlikely(!lk || !atomic_load_explicit(&lk->id, memory_order_acquire) ||
                 lk->kind == LS_LOCK_RWLOCK))
        return NULL;
    return lk;
}

/* The real lock did not succeed at once: wait for it (or report why). */
static int __attribute__((noinline)) lock_contended(struct ls_thread *t, struct ls_lock *lk,
                                                    pthread_mutex_t *m, int r, uint64_t ret,
                                                    uint64_t cfa)
{
    if (r == EBUSY)
        r = ls_wait_mutex(t, lk, m, ret, cfa);
    if (r == 0)
        ls_acquire_post(t, lk, 0, ret, cfa);
    else
        acquire_failed(t, lk, m, ret, cfa, 0, 0, r, LS_CALL_MUTEX_LOCK);
    return r;
}

#define CFA ((uint64_t)(uintptr_t)__builtin_dwarf_cfa())

LS_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    struct ls_lock *lk = lock_fast_entry(ls_self, m);
    if (unlikely(!lk))
        return lock_slow(m, RET, CFA);
    ls_sl_use(ls_self, lk, LS_CALL_MUTEX_LOCK, RET);
    /* lock_blocking's way, for a thread that does not hold m */
    int r = ls_live_threads() <= 1 && m->__data.__lock == 0 ? ls_real.mutex_lock(m)
                                                             : ls_real.mutex_trylock(m);
    /* (what is needed after the call is found again, rather than kept
     * in registers saved around it) */
    struct ls_thread *t = ls_self;
    uint64_t ret = RET, cfa = CFA;
    if (unlikely(r != 0))
        return lock_contended(t, lk, m, r, ret, cfa);
    /* ls_acquire_post's fast path */
    uint32_t id = atomic_load_explicit(&lk->id, memory_order_acquire);
    ls_held_push_first(t, lk, id, ret, cfa, ls_held_mix_fast(id));
    uint32_t last = lk->w.last_tid;
    ls_holder_inc(&lk->acquisitions);
    t->hold_countdown--;
    if (last != t->tid) {
        if (last)
            ls_holder_inc(&lk->owner_changes);
        ls_clock_acquire(t, &lk->w);
    }
    return 0;
}

LS_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_trylock);
    ACQUIRE(LS_CALL_MUTEX_TRYLOCK, LS_ACQ_TRY, ls_real.mutex_trylock(m), ((void)held, ls_real.mutex_trylock(m)));
}

LS_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    LS_ENSURE_REAL(mutex_timedlock);
    ACQUIRE(LS_CALL_MUTEX_TIMEDLOCK, LS_ACQ_TIMED, ls_real.mutex_timedlock(m, abstime),
            timed_blocking(t, lk, m, CLOCK_REALTIME, abstime, held, 1));
}

LS_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
                                      const struct timespec *abstime)
{
    LS_ENSURE_REAL(mutex_clocklock);
    ACQUIRE(LS_CALL_MUTEX_CLOCKLOCK, LS_ACQ_TIMED, ls_real.mutex_clocklock(m, clk, abstime),
            timed_blocking(t, lk, m, clk, abstime, held, 0));
}

/* A robust mutex taken with EOWNERDEAD and unlocked before
 * pthread_mutex_consistent: glibc marks it unusable (ENOTRECOVERABLE for
 * every later lock).  glibc's owner field says PTHREAD_MUTEX_INCONSISTENT
 * until the call. */
static void unlock_robust_check(struct ls_thread *t, pthread_mutex_t *m, uint64_t ret)
{
    if ((m->__data.__kind & 16) && (uint32_t)m->__data.__owner == 0x7fffffffu) {
        struct ls_lock *lk = mutex_entry(m);
        struct ls_misuse_info mi = {.rule = LS_MISUSE_ROBUST_INCONSISTENT,
                                    .call = LS_CALL_MUTEX_UNLOCK, .lk = lk, .ret = ret};
        ls_misuse_ex(t, &mi);
    }
}

/* The usual unlock, done with no call but the real one: a traced thread,
 * a known lock, its hold on top of the held stack and not to be timed (a
 * sampled hold, or one that outlasted a tick), its clock the thread's own
 * since its last release (hot.h's ls_release, with every case that would
 * call out left to the general path).  1 if done; 2 if done but for the
 * release into lock *copy's clock, whose content is not the thread's own
 * (a lock handed over between threads); 0 with nothing changed otherwise. */
LS_FAST int unlock_fast(pthread_mutex_t *m, struct ls_lock **copy)
{
    struct ls_thread *t = ls_self;
    if (unlikely(!t))
        return 0;
    uint32_t n = t->nheld;
    if (unlikely(((uint64_t)(uint32_t)ls_guard |
                  (uint64_t)atomic_load_explicit(&t->ring_pending, memory_order_relaxed) |
                  (uintptr_t)t->tl |
                  (uint64_t)atomic_load_explicit(&ls_owner_died, memory_order_relaxed)) != 0 ||
                 !atomic_load_explicit(&ls_active, memory_order_relaxed) || n == 0))
        return 0;
    /* The lock taken last is m's entry when that entry's address is m (an
     * address has one entry in the table): no lookup of m's own. */
    struct ls_held *h = &t->held[n - 1];
    struct ls_lock *lk = h->lk;
    if (unlikely(atomic_load_explicit(&lk->addr, memory_order_relaxed) != (uintptr_t)m ||
                 ((h->count ^ 1) | h->read |
                  h->since_ns | (h->since_tick ^ atomic_load_explicit(&ls_coarse_ns,
                                                                       memory_order_relaxed))) != 0))
        return 0;
    /* A use of the object, judged before the release publishes it: one
     * this thread made before (a first use is the general path's, so that
     * nothing here calls out and keeps registers across a call). */
    struct ls_sl_seen *e = ls_sl_hit(t, lk);
    uint32_t *v = t->vc.v;
    if (unlikely(!e || !v))
        return 0;
    struct ls_sync *s = &lk->w;
    uint32_t tid = t->tid, own = v[tid];
    uint32_t *sv = s->clk.v;
    if (sv && atomic_load_explicit(&ls_clocks_on, memory_order_relaxed)) {
        if (unlikely(s->last_tid != tid || s->last_version != t->vc_version)) {
            /* The clock is another thread's, or ours from before we learned
             * more: all of ours goes into it (unlock_copying), the rest is
             * done here. */
            ls_sl_used(e, own, RET, LS_CALL_MUTEX_UNLOCK);
            t->heldhash ^= h->mix;
            t->nheld = n - 1;
            *copy = lk;
            return 2;
        }
        sv[tid] = own; /* only our own entry moved since (the last check made) */
    }
    ls_sl_used(e, own, RET, LS_CALL_MUTEX_UNLOCK);
    s->last_tid = tid;
    s->last_epoch = own;
    s->last_version = t->vc_version;
    s->last_thread = t;
    v[tid] = own + 1;
    t->heldhash ^= h->mix;
    t->nheld = n - 1;
    return 1;
}

static int unlock_slow(pthread_mutex_t *m, uint64_t ret) __attribute__((noinline));

/* The rest of unlock_fast's case 2: the release into lk's clock, then the
 * real unlock. */
static int __attribute__((noinline)) unlock_copying(pthread_mutex_t *m, struct ls_lock *lk)
{
    ls_clock_release(ls_self, &lk->w);
    return ls_real.mutex_unlock(m);
}

/* No frame of its own: the real unlock is a tail call, so nothing runs
 * with this frame on the stack but the few instructions before it. */
LS_EXPORT __attribute__((optimize("omit-frame-pointer", "no-tree-slp-vectorize"))) int
pthread_mutex_unlock(pthread_mutex_t *m)
{
    /* (unlock_fast goes on only once ls_active says the real functions
     * are resolved) */
    struct ls_lock *copy;
    int done = unlock_fast(m, &copy);
    if (likely(done == 1))
        return ls_real.mutex_unlock(m);
    if (done == 2)
        return unlock_copying(m, copy);
    return unlock_slow(m, RET);
}

/* Every case of pthread_mutex_unlock, for a call from ret. */
static int unlock_slow(pthread_mutex_t *m, uint64_t ret)
{
    LS_ENSURE_REAL(mutex_unlock);
    /* The GIL's mutex is the interpreter's, not the program's. */
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    struct ls_lock *lk = t ? mutex_entry(m) : NULL;
    if (unlikely(atomic_load_explicit(&ls_owner_died, memory_order_relaxed)) && lk)
        unlock_robust_check(t, m, ret);
    if (lk)
        ls_sl_use(t, lk, LS_CALL_MUTEX_UNLOCK, ret);
    if (lk && !ls_release(t, lk)) {
        /* Not held as far as the shim knows.  glibc knows the owner: held
         * by us all the same (taken back inside a cancelled condvar wait)
         * is fine. */
        uint32_t owner = owner_of(m);
        if (owner == 0 && m->__data.__lock == 0)
            ls_misuse(t, LS_MISUSE_UNLOCK_NOT_LOCKED, lk, ret, 0);
        else if (owner != 0 && owner != t->os_tid && owner != 0x3fffffffu &&
                 ls_os_tid_alive(owner))
            /* (an owner that is gone: a forked child's copy of its parent's
             * lock, or a thread that ended holding it, reported then) */
            in_use(t, LS_MISUSE_UNLOCK_NOT_OWNER, LS_CALL_MUTEX_UNLOCK, lk, m, ret);
    }
    return ls_real.mutex_unlock(m);
}
