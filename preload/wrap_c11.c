/*
 * C11 threads.  glibc (2.34 and later) implements mtx_*, cnd_*, thrd_* and
 * call_once by calling its pthread internals directly, past any
 * interposition of the pthread entry points; so they are wrapped here, each
 * going through the shim's own pthread wrapper.  glibc's C11 objects are
 * its pthread objects (mtx_t holds a pthread_mutex_t, cnd_t a
 * pthread_cond_t, thrd_t is a pthread_t, once_flag holds a pthread_once_t).
 */
#define _GNU_SOURCE
#include "shim.h"
#include "wrap.h"
#include "watch.h"

#include <errno.h>
#include <stdint.h>
#include <threads.h>

/* glibc's mapping of errno values to thrd_* results. */
static int thrd_result(int err)
{
    switch (err) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
    }
}

/* The program's call site, for the pthread wrapper to record as the place
 * the lock was taken (not this file). */
#define OUTER()                                                                     \
    do {                                                                            \
        ls_outer_ret = (uint64_t)(uintptr_t)__builtin_return_address(0);           \
        ls_outer_cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();                  \
    } while (0)

/* The C11 call the program made, for a misuse record of the pthread call
 * made for it (with the program's site: OUTER). */
#define CALL(code)                                                                  \
    do {                                                                            \
        OUTER();                                                                    \
        ls_outer_call = (code);                                                     \
    } while (0)
#define DONE()                                                                      \
    do {                                                                            \
        ls_outer_ret = 0;                                                           \
        ls_outer_call = 0;                                                          \
    } while (0)

LS_EXPORT int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, (type & mtx_recursive) ? PTHREAD_MUTEX_RECURSIVE
                                                          : PTHREAD_MUTEX_NORMAL);
    CALL(LS_CALL_MTX_INIT);
    int r = pthread_mutex_init((pthread_mutex_t *)m, &a);
    DONE();
    pthread_mutexattr_destroy(&a);
    return thrd_result(r);
}

LS_EXPORT int mtx_lock(mtx_t *m)
{
    CALL(LS_CALL_MTX_LOCK);
    int r = pthread_mutex_lock((pthread_mutex_t *)m);
    DONE();
    return thrd_result(r);
}

LS_EXPORT int mtx_trylock(mtx_t *m)
{
    CALL(LS_CALL_MTX_TRYLOCK);
    int r = pthread_mutex_trylock((pthread_mutex_t *)m);
    DONE();
    return thrd_result(r);
}

LS_EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
    CALL(LS_CALL_MTX_TIMEDLOCK);
    int r = pthread_mutex_timedlock((pthread_mutex_t *)m, ts);
    DONE();
    return thrd_result(r);
}

LS_EXPORT int mtx_unlock(mtx_t *m)
{
    CALL(LS_CALL_MTX_UNLOCK);
    int r = pthread_mutex_unlock((pthread_mutex_t *)m);
    DONE();
    return thrd_result(r);
}

LS_EXPORT void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

LS_EXPORT int cnd_init(cnd_t *c)
{
    CALL(LS_CALL_CND_INIT);
    int r = pthread_cond_init((pthread_cond_t *)c, NULL);
    DONE();
    return thrd_result(r);
}

LS_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    CALL(LS_CALL_CND_WAIT);
    int r = pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m);
    DONE();
    return thrd_result(r);
}

LS_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                            const struct timespec *restrict ts)
{
    CALL(LS_CALL_CND_TIMEDWAIT);
    int r = pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts);
    DONE();
    return thrd_result(r);
}

LS_EXPORT int cnd_signal(cnd_t *c)
{
    return thrd_result(pthread_cond_signal((pthread_cond_t *)c));
}

LS_EXPORT int cnd_broadcast(cnd_t *c)
{
    return thrd_result(pthread_cond_broadcast((pthread_cond_t *)c));
}

LS_EXPORT void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}

/* thrd_create's start routine returns int; pthread's returns void *. */
struct c11_start {
    thrd_start_t fn;
    void *arg;
};

static void *c11_trampoline(void *p)
{
    struct c11_start s = *(struct c11_start *)p;
    /* The block came from the creator's stack frame, copied before use:
     * the creator waits for the copy (see thrd_create). */
    atomic_store((_Atomic int *)&((struct c11_start *)p)[1], 1);
    return (void *)(intptr_t)s.fn(s.arg);
}

const void *ls_c11_arg(void *(*fn)(void *), const void *arg)
{
    return fn == c11_trampoline ? ((const struct c11_start *)arg)->arg : arg;
}

const void *ls_c11_start(void *(*fn)(void *), const void *arg)
{
    return fn == c11_trampoline ? (const void *)(uintptr_t)((const struct c11_start *)arg)->fn
                                : (const void *)(uintptr_t)fn;
}

LS_EXPORT int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    /* [0] the start, [1] its "copied" flag (a struct of the same size). */
    struct c11_start block[2] = {{fn, arg}, {0, 0}};
    pthread_t th;
    CALL(LS_CALL_THRD_CREATE);
    int r = pthread_create(&th, NULL, c11_trampoline, block);
    DONE();
    if (r == 0) {
        while (!atomic_load((_Atomic int *)&block[1]))
            sched_yield();
        *thr = th;
    }
    return r == EAGAIN ? thrd_nomem : thrd_result(r);
}

LS_EXPORT int thrd_join(thrd_t thr, int *res)
{
    void *ret;
    CALL(LS_CALL_THRD_JOIN);
    int r = pthread_join(thr, &ret);
    DONE();
    if (r == 0 && res)
        *res = (int)(intptr_t)ret;
    return r == 0 ? thrd_success : thrd_error;
}

LS_EXPORT int thrd_detach(thrd_t thr)
{
    CALL(LS_CALL_THRD_DETACH);
    int r = pthread_detach(thr);
    DONE();
    return r == 0 ? thrd_success : thrd_error;
}

LS_EXPORT _Noreturn void thrd_exit(int res)
{
    pthread_exit((void *)(intptr_t)res);
}

LS_EXPORT void call_once(once_flag *flag, void (*fn)(void))
{
    CALL(LS_CALL_CALL_ONCE);
    pthread_once((pthread_once_t *)flag, fn);
    DONE();
}
