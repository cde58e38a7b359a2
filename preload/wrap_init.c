/*
 * pthread_cond_init, sem_init, pthread_barrier_init: initializing an object
 * resets what the shim knows about it (its waiters: a forked child
 * re-initializes the condvars its parent's threads were waiting on, as
 * libuv does), and initializing one that live threads wait on is misuse.
 */
#define _GNU_SOURCE
#include "hot.h"
#include "synclife.h"
#include "wrap.h"

#include <errno.h>
#include <semaphore.h>

#define RET ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* Before the real init of obj (a condvar, semaphore or barrier): misuse if
 * a live thread waits on it; its waiter count is then what is true (the
 * live threads inside a wait on it).  Returns its entry if it had one. */
static struct ls_lock *reinit_check(struct ls_thread *t, const void *obj, uint32_t kind,
                                    uint32_t call, uint64_t ret)
{
    if (!ls_lock_known(obj))
        return NULL;
    struct ls_lock *o = ls_lock_get(t, obj, kind);
    if (!o)
        return NULL;
    struct ls_misuse_info mi = {.rule = LS_MISUSE_REINIT_IN_USE, .call = call, .lk = o, .ret = ret};
    struct ls_thread *w = ls_waiter_on(t, obj, NULL, &mi.other_stack);
    /* a barrier's waiters are those of a round not complete yet, a
     * semaphore's those no post released: others may still be on their way
     * out */
    int busy = kind == LS_SYNC_BARRIER ? atomic_load(&o->waiters) > 0
               : kind == LS_SYNC_SEM   ? w && atomic_load(&o->waiters) > atomic_load(&o->woken)
                                       : w != NULL;
    if (busy) {
        mi.other_tid = w ? w->tid : 0;
        ls_misuse_ex(t, &mi);
    }
    atomic_store(&o->waiters, kind == LS_SYNC_BARRIER ? 0 : (int)ls_count_waiters(t, obj));
    atomic_store(&o->woken, 0);
    if (!w)
        atomic_store(&o->cond_mutex, 0);
    return o;
}

LS_EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
    LS_ENSURE_REAL(cond_init);
    struct ls_thread *t = ls_enter();
    if (t)
        reinit_check(t, c, LS_SYNC_COND, LS_CALL_COND_INIT, RET);
    int r = ls_real.cond_init(c, a);
    if (r != 0 && t)
        ls_call_error(t, LS_CALL_COND_INIT, NULL, RET, r);
    else if (t)
        ls_sl_write(t, ls_lock_get(t, c, LS_SYNC_COND), LS_CALL_COND_INIT, RET, 0);
    return r;
}

LS_EXPORT int sem_init(sem_t *s, int pshared, unsigned int value)
{
    LS_ENSURE_REAL(sem_init);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.sem_init(s, pshared, value);
    int saved = errno;
    reinit_check(t, s, LS_SYNC_SEM, LS_CALL_SEM_INIT, RET);
    errno = saved;
    /* CPython's semaphores: Python locks, named where they are made
     * (python_sem.c, which makes the real call). */
    int r = ls_py_on ? ls_py_sem_init(s, pshared, value) : ls_real.sem_init(s, pshared, value);
    int err = errno;
    if (r != 0) {
        struct ls_misuse_info mi = {.rule = LS_MISUSE_CALL_ERROR, .call = LS_CALL_SEM_INIT,
                                    .ret = RET, .result = err, .value = (int32_t)value};
        ls_misuse_ex(t, &mi);
    } else if (!ls_py_on) {
        /* known from now on: not taken for memory that is no semaphore
         * (python_sem.c makes CPython's known itself) */
        ls_sl_write(t, ls_lock_get(t, s, LS_SYNC_SEM), LS_CALL_SEM_INIT, RET, 0);
    }
    errno = err;
    return r;
}

LS_EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a,
                                   unsigned int count)
{
    LS_ENSURE_REAL(barrier_init);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.barrier_init(b, a, count);
    struct ls_lock *o = reinit_check(t, b, LS_SYNC_BARRIER, LS_CALL_BARRIER_INIT, RET);
    int r = ls_real.barrier_init(b, a, count);
    if (r != 0) {
        struct ls_misuse_info mi = {.rule = LS_MISUSE_CALL_ERROR, .call = LS_CALL_BARRIER_INIT,
                                    .lk = o, .ret = RET, .result = r, .value = (int32_t)count};
        ls_misuse_ex(t, &mi);
        return r;
    }
    if (!o)
        o = ls_lock_get(t, b, LS_SYNC_BARRIER);
    if (o)
        atomic_store(&o->round, count);
    ls_sl_write(t, o, LS_CALL_BARRIER_INIT, RET, 0);
    return r;
}
