/*
 * pthread_mutex_* wrappers.  Shape of each: guard, pre-event, real call,
 * post-event; the program's return value and errno are returned untouched.
 * Unlock is recorded before the real unlock and lock after it succeeds, so
 * the trace's order respects happens-before.
 */
#define _GNU_SOURCE
#include "hot.h"
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

LS_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    LS_ENSURE_REAL(mutex_init);
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    /* Only a mutex the shim has seen in use can be "in use": the memory of
     * a fresh one may hold anything. */
    if (t && ls_lock_known(m) && m->__data.__lock != 0) {
        struct ls_lock *lk = ls_lock_get(t, m, mutex_kind(m));
        if (lk && atomic_load(&lk->id)) {
            ls_misuse(t, LS_MISUSE_REINIT_IN_USE, lk, RET, 0);
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
    }
    return r;
}

LS_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_destroy);
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    struct ls_lock *lk = t ? ls_lock_get(t, m, LS_LOCK_MUTEX) : NULL;
    if (lk && m->__data.__lock != 0) {
        ls_misuse(t, LS_MISUSE_DESTROY_LOCKED, lk, RET, 0);
        return ls_real.mutex_destroy(m); /* EBUSY: it stays the same lock */
    }
    if (lk)
        ls_lock_destroy_event(lk);
    return ls_real.mutex_destroy(m);
}

/* The common body of every acquiring call: `call` is made untraced when
 * the thread or lock is not tracked, traced otherwise. */
#define ACQUIRE(flags, call, traced_call)                                           \
    do {                                                                            \
        struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();               \
        struct ls_lock *lk;                                                         \
        if (!t || !(lk = mutex_entry(m)))                                          \
            return call;                                                            \
        uint64_t ret = (uint64_t)(uintptr_t)__builtin_return_address(0);            \
        uint64_t cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();                  \
        if (unlikely(ls_outer_ret)) {                                               \
            ret = ls_outer_ret;                                                     \
            cfa = ls_outer_cfa;                                                     \
            ls_outer_ret = 0;                                                       \
        }                                                                           \
        int held = ls_acquire_pre(t, lk, flags, ret, cfa);                          \
        int r = traced_call;                                                        \
        if (r == 0)                                                                 \
            ls_acquire_post(t, lk, flags, ret, cfa);                                \
        else                                                                        \
            acquire_failed(t, lk, m, ret, cfa, flags, held, r);                     \
        return r;                                                                   \
    } while (0)

/* What a failed acquisition means.  A robust mutex whose owner died is
 * acquired all the same (EOWNERDEAD). */
static void acquire_failed(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m,
                           uint64_t ret, uint64_t cfa, int flags, int held, int r)
{
    if (r == EOWNERDEAD) {
        ls_acquire_post(t, lk, flags, ret, cfa);
        return;
    }
    if (r == EDEADLK && held)
        ls_misuse(t, LS_MISUSE_ERRORCHECK_RELOCK, lk, ret, r);
    else if (r == EINVAL || r == EAGAIN || r == ENOTRECOVERABLE)
        ls_misuse(t, LS_MISUSE_CALL_ERROR, lk, ret, r);
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
                         uint64_t ret)
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
    return ls_wait_mutex(t, lk, m);
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* A timed lock waits in the wait-for graph too, in slices that end at its
 * own deadline at the latest: a timed waiter that gives up (and backs off)
 * starts a new wait each time, so it is never confirmed in a cycle, while
 * one with a deadline far away is caught like any other. */
static int timed_blocking(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m,
                          clockid_t clk, const struct timespec *abstime, int held)
{
    if (held || !abstime || !ls_opt.deadlock || !ls_real.mutex_clocklock ||
        abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L)
        return ls_real.mutex_clocklock ? ls_real.mutex_clocklock(m, clk, abstime)
                                       : ls_real.mutex_timedlock(m, abstime);
    int r = ls_real.mutex_trylock(m);
    if (r != EBUSY)
        return r;
    ls_wait_begin(t, LS_WAIT_LOCK, lk, m, NULL);
    uint64_t t0 = ls_mono_ns();
    struct ls_wait_state st = {0};
    for (;;) {
        struct timespec now, slice;
        clock_gettime(clk, &now);
        if (!ts_before(&now, abstime)) {
            r = ETIMEDOUT;
            break;
        }
        slice = now;
        slice.tv_sec += ls_opt.deadlock_check_ms / 1000;
        slice.tv_nsec += (long)(ls_opt.deadlock_check_ms % 1000) * 1000000L;
        if (slice.tv_nsec >= 1000000000L) {
            slice.tv_sec++;
            slice.tv_nsec -= 1000000000L;
        }
        if (ts_before(abstime, &slice))
            slice = *abstime;
        r = ls_real.mutex_clocklock(m, clk, &slice);
        if (r != ETIMEDOUT)
            break;
        ls_wait_slice(t, &st);
    }
    ls_wait_end(t);
    if (r == 0)
        t->last_wait_ns = ls_mono_ns() - t0 + 1;
    return r;
}

LS_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_lock);
    ACQUIRE(0, ls_real.mutex_lock(m), lock_blocking(t, lk, m, held, ret));
}

LS_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_trylock);
    ACQUIRE(LS_ACQ_TRY, ls_real.mutex_trylock(m), ((void)held, ls_real.mutex_trylock(m)));
}

LS_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    LS_ENSURE_REAL(mutex_timedlock);
    ACQUIRE(LS_ACQ_TIMED, ls_real.mutex_timedlock(m, abstime),
            timed_blocking(t, lk, m, CLOCK_REALTIME, abstime, held));
}

LS_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
                                      const struct timespec *abstime)
{
    LS_ENSURE_REAL(mutex_clocklock);
    ACQUIRE(LS_ACQ_TIMED, ls_real.mutex_clocklock(m, clk, abstime),
            timed_blocking(t, lk, m, clk, abstime, held));
}

LS_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_unlock);
    /* The GIL's mutex is the interpreter's, not the program's. */
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    struct ls_lock *lk = t ? mutex_entry(m) : NULL;
    if (lk && !ls_release(t, lk)) {
        /* Not held as far as the shim knows.  glibc knows the owner: held
         * by us all the same (taken back inside a cancelled condvar wait)
         * is fine. */
        uint32_t owner = (uint32_t)m->__data.__owner & 0x3fffffff;
        if (owner == 0 && m->__data.__lock == 0)
            ls_misuse(t, LS_MISUSE_UNLOCK_NOT_LOCKED, lk, RET, 0);
        else if (owner != 0 && owner != t->os_tid)
            ls_misuse(t, LS_MISUSE_UNLOCK_NOT_OWNER, lk, RET, 0);
    }
    return ls_real.mutex_unlock(m);
}
