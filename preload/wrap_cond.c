/*
 * Condition variables, semaphores and barriers.
 *
 * A condvar wait releases its mutex and takes it again before returning:
 * the held-lock stack follows (released before the real wait, acquired
 * after it, so a lock A held across the wait gives the edge A -> mutex).
 * Waits with no owner to blame are published for the stall watchdog; they
 * are never sliced (a sliced condvar wait could lose a wakeup).
 */
#define _GNU_SOURCE
#include "hot.h"
#include "wrap.h"

#include <errno.h>
#include <semaphore.h>

#define RET_CFA                                                                     \
    uint64_t ret = (uint64_t)(uintptr_t)__builtin_return_address(0);                \
    uint64_t cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();                      \
    if (unlikely(ls_outer_ret)) {                                                   \
        ret = ls_outer_ret;                                                         \
        cfa = ls_outer_cfa;                                                         \
        ls_outer_ret = 0;                                                           \
    }

static void reacquired(struct ls_thread *t, struct ls_lock *lk, uint64_t ret, uint64_t cfa)
{
    ls_acquire_pre(t, lk, 0, ret, cfa);
    ls_acquire_post(t, lk, 0, ret, cfa);
}

/* Before a condvar wait: the mutex must be held, and every thread waiting
 * on this condvar at once must use the same mutex.  Returns the condvar's
 * entry (its waiter count raised), or NULL. */
static struct ls_lock *cond_enter(struct ls_thread *t, pthread_cond_t *c, pthread_mutex_t *m,
                                  struct ls_lock *mlk, uint64_t ret)
{
    if (!ls_held_find(t, mlk) && ((uint32_t)m->__data.__owner & 0x3fffffff) != t->os_tid)
        ls_misuse(t, LS_MISUSE_COND_WAIT_NOT_HELD, mlk, ret, 0);
    struct ls_lock *cl = ls_lock_get(t, c, LS_SYNC_COND);
    if (!cl)
        return NULL;
    uintptr_t mine = (uintptr_t)m, expected = 0;
    if (atomic_fetch_add(&cl->waiters, 1) > 0) {
        uintptr_t other = atomic_load(&cl->cond_mutex);
        if (other && other != mine)
            ls_misuse(t, LS_MISUSE_COND_TWO_MUTEXES, mlk, ret, 0);
    } else {
        atomic_compare_exchange_strong(&cl->cond_mutex, &expected, mine);
        atomic_store(&cl->cond_mutex, mine);
    }
    return cl;
}

static void cond_leave(struct ls_lock *cl)
{
    if (cl && atomic_fetch_sub(&cl->waiters, 1) == 1)
        atomic_store(&cl->cond_mutex, 0);
}

LS_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    LS_ENSURE_REAL(cond_wait);
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_wait(c, m);
    RET_CFA;
    struct ls_lock *cl = cond_enter(t, c, m, lk, ret);
    ls_release(t, lk);
    ls_wait_begin(t, LS_WAIT_COND, lk, c, NULL);
    int r = ls_real.cond_wait(c, m);
    ls_wait_end(t);
    cond_leave(cl);
    reacquired(t, lk, ret, cfa);
    ls_sync_acquire(t, c, LS_SYNC_COND);
    return r;
}

LS_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *abst)
{
    LS_ENSURE_REAL(cond_timedwait);
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_timedwait(c, m, abst);
    RET_CFA;
    struct ls_lock *cl = cond_enter(t, c, m, lk, ret);
    ls_release(t, lk);
    int r = ls_real.cond_timedwait(c, m, abst);
    cond_leave(cl);
    reacquired(t, lk, ret, cfa);
    if (r == 0)
        ls_sync_acquire(t, c, LS_SYNC_COND);
    return r;
}

LS_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *abst)
{
    LS_ENSURE_REAL(cond_clockwait);
    struct ls_thread *t = ls_py_internal(m) ? NULL : ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_clockwait(c, m, clk, abst);
    RET_CFA;
    struct ls_lock *cl = cond_enter(t, c, m, lk, ret);
    ls_release(t, lk);
    int r = ls_real.cond_clockwait(c, m, clk, abst);
    cond_leave(cl);
    reacquired(t, lk, ret, cfa);
    if (r == 0)
        ls_sync_acquire(t, c, LS_SYNC_COND);
    return r;
}

/* Destroying a condvar, barrier or semaphore that threads wait on. */
static void destroy_check(const void *obj, uint32_t kind, uint32_t rule, uint64_t ret)
{
    struct ls_thread *t = ls_enter();
    struct ls_lock *o;
    if (t && ls_lock_known(obj) && (o = ls_lock_get(t, obj, kind)) && atomic_load(&o->waiters) > 0)
        ls_misuse(t, rule, NULL, ret, 0);
}

LS_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
    LS_ENSURE_REAL(cond_destroy);
    destroy_check(c, LS_SYNC_COND, LS_MISUSE_DESTROY_COND_WAITERS,
                  (uint64_t)(uintptr_t)__builtin_return_address(0));
    return ls_real.cond_destroy(c);
}

LS_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
    LS_ENSURE_REAL(barrier_destroy);
    destroy_check(b, LS_SYNC_BARRIER, LS_MISUSE_DESTROY_IN_USE,
                  (uint64_t)(uintptr_t)__builtin_return_address(0));
    return ls_real.barrier_destroy(b);
}

LS_EXPORT int sem_destroy(sem_t *s)
{
    LS_ENSURE_REAL(sem_destroy);
    destroy_check(s, LS_SYNC_SEM, LS_MISUSE_DESTROY_IN_USE,
                  (uint64_t)(uintptr_t)__builtin_return_address(0));
    if (ls_py_on)
        ls_py_sem_destroy(s);
    return ls_real.sem_destroy(s);
}

/* Only CPython's semaphores need their start seen (python_sem.c). */
LS_EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
    LS_ENSURE_REAL(sem_init);
    if (ls_py_on)
        return ls_py_sem_init(s, pshared, value);
    return ls_real.sem_init(s, pshared, value);
}

/* A signal orders the signaller before the woken waiter (on top of the
 * mutex, which a signaller need not hold). */
static void signalling(pthread_cond_t *c)
{
    struct ls_thread *t = ls_py_internal(c) ? NULL : ls_enter();
    if (t)
        ls_sync_release(t, c, LS_SYNC_COND);
}

LS_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    LS_ENSURE_REAL(cond_signal);
    signalling(c);
    return ls_real.cond_signal(c);
}

LS_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    LS_ENSURE_REAL(cond_broadcast);
    signalling(c);
    return ls_real.cond_broadcast(c);
}

/* sem_post is async-signal-safe, and so must this be: no waiting for a
 * lock (the release is skipped if the object's clock is busy). */
LS_EXPORT int sem_post(sem_t *s)
{
    LS_ENSURE_REAL(sem_post);
    struct ls_thread *t = ls_self;
    if (t && !ls_guard && atomic_load_explicit(&ls_active, memory_order_relaxed)) {
        int saved = errno;
        if (!ls_py_on || !ls_py_sem_post(s))
            ls_sync_release_async(t, s, LS_SYNC_SEM);
        errno = saved;
    }
    return ls_real.sem_post(s);
}

LS_EXPORT int sem_wait(sem_t *s)
{
    LS_ENSURE_REAL(sem_wait);
    if (ls_py_on) {
        RET_CFA;
        int r = ls_py_sem_wait(s, -1, NULL, ret, cfa);
        if (r != -2)
            return r;
    }
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.sem_wait(s);
    int saved = errno;
    if (ls_real.sem_trywait(s) == 0) {
        ls_sync_acquire(t, s, LS_SYNC_SEM);
        errno = saved;
        return 0;
    }
    errno = saved;
    struct ls_lock *o = ls_lock_get(t, s, LS_SYNC_SEM);
    if (o)
        atomic_fetch_add(&o->waiters, 1);
    ls_wait_begin(t, LS_WAIT_SEM, NULL, s, NULL);
    int r = ls_real.sem_wait(s);
    saved = errno;
    ls_wait_end(t);
    if (o)
        atomic_fetch_sub(&o->waiters, 1);
    if (r == 0)
        ls_sync_acquire(t, s, LS_SYNC_SEM);
    errno = saved;
    return r;
}

/* A successful wait learns what every post before it released. */
static int sem_taken(sem_t *s, int r)
{
    struct ls_thread *t;
    if (r == 0 && (t = ls_enter())) {
        int saved = errno;
        ls_sync_acquire(t, s, LS_SYNC_SEM);
        errno = saved;
    }
    return r;
}

LS_EXPORT int sem_trywait(sem_t *s)
{
    LS_ENSURE_REAL(sem_trywait);
    if (ls_py_on) {
        RET_CFA;
        return ls_py_sem_trywait(s, ret, cfa);
    }
    return sem_taken(s, ls_real.sem_trywait(s));
}

LS_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abst)
{
    LS_ENSURE_REAL(sem_timedwait);
    if (ls_py_on) {
        RET_CFA;
        int r = ls_py_sem_wait(s, CLOCK_REALTIME, abst, ret, cfa);
        if (r != -2)
            return r;
    }
    return sem_taken(s, ls_real.sem_timedwait(s, abst));
}

LS_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abst)
{
    LS_ENSURE_REAL(sem_clockwait);
    if (ls_py_on) {
        RET_CFA;
        int r = ls_py_sem_wait(s, (int)clk, abst, ret, cfa);
        if (r != -2)
            return r;
    }
    return sem_taken(s, ls_real.sem_clockwait(s, clk, abst));
}

/* Every arrival happens before every departure. */
LS_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    LS_ENSURE_REAL(barrier_wait);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.barrier_wait(b);
    ls_sync_release(t, b, LS_SYNC_BARRIER);
    struct ls_lock *o = ls_lock_get(t, b, LS_SYNC_BARRIER);
    if (o)
        atomic_fetch_add(&o->waiters, 1);
    ls_wait_begin(t, LS_WAIT_BARRIER, NULL, b, NULL);
    int r = ls_real.barrier_wait(b);
    ls_wait_end(t);
    if (o)
        atomic_fetch_sub(&o->waiters, 1);
    ls_sync_acquire(t, b, LS_SYNC_BARRIER);
    return r;
}

/* pthread_once: the initialization happens before every caller returns.
 * The init routine runs through a trampoline that releases when it ends;
 * nested once calls keep their own routine on the stack. */
static __thread void (*once_fn)(void) LS_TLS;
static __thread pthread_once_t *once_obj LS_TLS;

static void once_trampoline(void)
{
    void (*fn)(void) = once_fn;
    pthread_once_t *o = once_obj;
    fn();
    struct ls_thread *t = ls_self;
    if (t && atomic_load_explicit(&ls_active, memory_order_relaxed))
        ls_sync_release(t, o, LS_SYNC_ONCE);
}

LS_EXPORT int pthread_once(pthread_once_t *o, void (*fn)(void))
{
    LS_ENSURE_REAL(once);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.once(o, fn);
    void (*saved_fn)(void) = once_fn;
    pthread_once_t *saved_obj = once_obj;
    once_fn = fn;
    once_obj = o;
    int r = ls_real.once(o, once_trampoline);
    once_fn = saved_fn;
    once_obj = saved_obj;
    if (r == 0)
        ls_sync_acquire(t, o, LS_SYNC_ONCE);
    return r;
}

/* The annotations of include/lockscope/annotate.h, for synchronization the
 * shim cannot see (atomics, lock-free queues). */
LS_EXPORT void __lockscope_happens_before(const volatile void *addr);
LS_EXPORT void __lockscope_happens_before(const volatile void *addr)
{
    struct ls_thread *t = ls_enter();
    if (t)
        ls_sync_release(t, (const void *)addr, LS_SYNC_ANNOTATION);
}

LS_EXPORT void __lockscope_happens_after(const volatile void *addr);
LS_EXPORT void __lockscope_happens_after(const volatile void *addr)
{
    struct ls_thread *t = ls_enter();
    if (t)
        ls_sync_acquire(t, (const void *)addr, LS_SYNC_ANNOTATION);
}
