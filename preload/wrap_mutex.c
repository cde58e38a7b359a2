/*
 * pthread_mutex_* wrappers.  Shape of each: guard, pre-event, real call,
 * post-event; the program's return value and errno are returned untouched.
 * Unlock is recorded before the real unlock and lock after it succeeds, so
 * the trace's order respects happens-before.
 */
#define _GNU_SOURCE
#include "shim.h"
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

LS_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    LS_ENSURE_REAL(mutex_init);
    int r = ls_real.mutex_init(m, a);
    struct ls_thread *t = ls_enter();
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
    struct ls_thread *t = ls_enter();
    if (t) {
        struct ls_lock *lk = ls_lock_get(t, m, LS_LOCK_MUTEX);
        if (lk)
            ls_lock_destroy_event(lk);
    }
    return ls_real.mutex_destroy(m);
}

/* The common body of every acquiring call: `call` is made untraced when
 * the thread or lock is not tracked, traced otherwise. */
#define ACQUIRE(flags, call, traced_call)                                           \
    do {                                                                            \
        struct ls_thread *t = ls_enter();                                           \
        struct ls_lock *lk;                                                         \
        if (!t || !(lk = ls_lock_get(t, m, mutex_kind(m))))                         \
            return call;                                                            \
        uint64_t ret = (uint64_t)(uintptr_t)__builtin_return_address(0);            \
        uint64_t cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();                  \
        int held = ls_acquire_pre(t, lk, flags, ret, cfa);                          \
        int r = traced_call;                                                        \
        if (r == 0)                                                                 \
            ls_acquire_post(t, lk, flags, ret, cfa);                                \
        else if (r == EDEADLK && held)                                              \
            ls_misuse(t, LS_MISUSE_ERRORCHECK_RELOCK, lk, ret, r);                  \
        return r;                                                                   \
    } while (0)

/* A plain (non-recursive, non-error-checking) mutex locked again by the
 * thread that owns it never returns. */
static int relocks_own(struct ls_thread *t, pthread_mutex_t *m)
{
    return mutex_kind(m) == LS_LOCK_MUTEX && (uint32_t)m->__data.__owner == t->os_tid;
}

/* Only a thread that has to wait pays for deadlock detection: try first. */
static int lock_blocking(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m, int held)
{
    if (unlikely(held) && relocks_own(t, m))
        ls_self_deadlock(t, lk, m, LS_WAIT_LOCK);
    /* With one thread, nobody else can hold it: no wait to publish, and
     * glibc's lock has a fast path for single-threaded processes that its
     * trylock lacks. */
    if (ls_live_threads() <= 1)
        return ls_real.mutex_lock(m);
    int r = ls_real.mutex_trylock(m);
    if (likely(r != EBUSY))
        return r;
    return ls_wait_mutex(t, lk, m);
}

LS_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_lock);
    ACQUIRE(0, ls_real.mutex_lock(m), lock_blocking(t, lk, m, held));
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
            ((void)held, ls_real.mutex_timedlock(m, abstime)));
}

LS_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
                                      const struct timespec *abstime)
{
    LS_ENSURE_REAL(mutex_clocklock);
    ACQUIRE(LS_ACQ_TIMED, ls_real.mutex_clocklock(m, clk, abstime),
            ((void)held, ls_real.mutex_clocklock(m, clk, abstime)));
}

LS_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    LS_ENSURE_REAL(mutex_unlock);
    struct ls_thread *t = ls_enter();
    if (t) {
        struct ls_lock *lk = ls_lock_get(t, m, mutex_kind(m));
        if (lk)
            ls_release(t, lk);
    }
    return ls_real.mutex_unlock(m);
}
