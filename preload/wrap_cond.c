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
#include "shim.h"
#include "wrap.h"

#include <errno.h>
#include <semaphore.h>

#define RET_CFA                                                                     \
    uint64_t ret = (uint64_t)(uintptr_t)__builtin_return_address(0);                \
    uint64_t cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa()

static void reacquired(struct ls_thread *t, struct ls_lock *lk, uint64_t ret, uint64_t cfa)
{
    ls_acquire_pre(t, lk, 0, ret, cfa);
    ls_acquire_post(t, lk, 0, ret, cfa);
}

LS_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    LS_ENSURE_REAL(cond_wait);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_wait(c, m);
    RET_CFA;
    ls_release(t, lk);
    ls_wait_begin(t, LS_WAIT_COND, lk, c, NULL);
    int r = ls_real.cond_wait(c, m);
    ls_wait_end(t);
    reacquired(t, lk, ret, cfa);
    return r;
}

LS_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *abst)
{
    LS_ENSURE_REAL(cond_timedwait);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_timedwait(c, m, abst);
    RET_CFA;
    ls_release(t, lk);
    int r = ls_real.cond_timedwait(c, m, abst);
    reacquired(t, lk, ret, cfa);
    return r;
}

LS_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *abst)
{
    LS_ENSURE_REAL(cond_clockwait);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_clockwait(c, m, clk, abst);
    RET_CFA;
    ls_release(t, lk);
    int r = ls_real.cond_clockwait(c, m, clk, abst);
    reacquired(t, lk, ret, cfa);
    return r;
}

LS_EXPORT int sem_wait(sem_t *s)
{
    LS_ENSURE_REAL(sem_wait);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.sem_wait(s);
    int saved = errno;
    if (ls_real.sem_trywait(s) == 0)
        return 0;
    errno = saved;
    ls_wait_begin(t, LS_WAIT_SEM, NULL, s, NULL);
    int r = ls_real.sem_wait(s);
    saved = errno;
    ls_wait_end(t);
    errno = saved;
    return r;
}

LS_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    LS_ENSURE_REAL(barrier_wait);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.barrier_wait(b);
    ls_wait_begin(t, LS_WAIT_BARRIER, NULL, b, NULL);
    int r = ls_real.barrier_wait(b);
    ls_wait_end(t);
    return r;
}
