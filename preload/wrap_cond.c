/*
 * Condition variables, semaphores and barriers.
 *
 * A condvar wait releases its mutex and takes it again before returning:
 * the held-lock stack follows (released before the real wait, acquired
 * after it, so a lock A held across the wait gives the edge A -> mutex).
 * Waits with no owner to blame are published for the stall watchdog, and
 * block in the real call like every wait (deadlock.c).
 */
#define _GNU_SOURCE
#include "hot.h"
#include "synclife.h"
#include "wrap.h"

#include <errno.h>
#include <limits.h>
#include <semaphore.h>

#define RET_CFA                                                                     \
    uint64_t ret = (uint64_t)(uintptr_t)__builtin_return_address(0);                \
    uint64_t cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();                      \
    if (unlikely(ls_outer_ret)) {                                                   \
        ret = ls_outer_ret;                                                         \
        cfa = ls_outer_cfa;                                                         \
        ls_outer_ret = 0;                                                           \
    }

#define RET ((uint64_t)(uintptr_t)__builtin_return_address(0))

static void reacquired(struct ls_thread *t, struct ls_lock *lk, uint64_t ret, uint64_t cfa)
{
    ls_acquire_pre(t, lk, 0, ret, cfa);
    ls_acquire_post(t, lk, 0, ret, cfa);
}

/* Before a condvar wait: the mutex must be held, and every thread waiting
 * on this condvar at once must use the same mutex.  Returns the condvar's
 * entry (its waiter count raised), or NULL. */
static struct ls_lock *cond_enter(struct ls_thread *t, pthread_cond_t *c, pthread_mutex_t *m,
                                  struct ls_lock *mlk, uint64_t ret, uint64_t cfa, uint32_t call)
{
    if (!ls_held_find(t, mlk) && ((uint32_t)m->__data.__owner & 0x3fffffff) != t->os_tid) {
        struct ls_misuse_info mi = {
            .rule = LS_MISUSE_COND_WAIT_NOT_HELD, .call = call, .lk = mlk, .ret = ret};
        uint32_t owner = (uint32_t)m->__data.__owner & 0x3fffffff;
        struct ls_thread *h = owner ? ls_holder_of(t, mlk, owner, &mi.other_stack) : NULL;
        mi.other_tid = h ? h->tid : 0;
        ls_misuse_ex(t, &mi);
    }
    struct ls_lock *cl = ls_lock_get(t, c, LS_SYNC_COND);
    if (!cl)
        return NULL;
    ls_in_wait_at(t, c, m, ret, cfa);
    uintptr_t mine = (uintptr_t)m, expected = 0;
    if (atomic_fetch_add(&cl->waiters, 1) > 0) {
        uintptr_t other = atomic_load(&cl->cond_mutex);
        if (other && other != mine) {
            /* the other waiters: their mutex, and one of them */
            struct ls_misuse_info mi = {.rule = LS_MISUSE_COND_TWO_MUTEXES, .call = call,
                                        .lk = mlk, .ret = ret};
            struct ls_thread *w = ls_waiter_on(t, c, m, &mi.other_stack);
            mi.other_tid = w ? w->tid : 0;
            const void *om = w ? w->in_mutex : (const void *)other;
            mi.lk2 = ls_lock_known(om) ? ls_lock_get(t, om, LS_LOCK_MUTEX) : NULL;
            ls_misuse_ex(t, &mi);
        }
    } else {
        atomic_compare_exchange_strong(&cl->cond_mutex, &expected, mine);
        atomic_store(&cl->cond_mutex, mine);
    }
    return cl;
}

static void cond_leave(struct ls_thread *t, struct ls_lock *cl)
{
    if (cl && atomic_fetch_sub(&cl->waiters, 1) == 1)
        atomic_store(&cl->cond_mutex, 0);
    if (cl)
        ls_out_wait(t);
}

/* After the real wait: the mutex is the thread's again, unless the call
 * failed before it let go of it (EINVAL: a bad timeout) and the thread did
 * not hold it then either, or failed letting go of it (EPERM: an
 * error-checking mutex the thread does not own). */
static void cond_after(struct ls_thread *t, pthread_cond_t *c, struct ls_lock *lk, int held,
                       int r, uint64_t ret, uint64_t cfa, uint32_t call)
{
    if (r == 0 || r == ETIMEDOUT || r == EOWNERDEAD || held)
        reacquired(t, lk, ret, cfa);
    if (r == EOWNERDEAD)
        atomic_store(&ls_owner_died, 1);
    else if (r != 0 && r != ETIMEDOUT)
        ls_call_error(t, call, lk, ret, r);
    if (r == 0)
        ls_sync_acquire(t, c, LS_SYNC_COND);
}

LS_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    LS_ENSURE_REAL(cond_wait);
    if (ls_py_internal(m)) {
        int r = ls_real.cond_wait(c, m);
        ls_pyr_gil_woken();
        return r;
    }
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_wait(c, m);
    RET_CFA;
    struct ls_lock *cl = cond_enter(t, c, m, lk, ret, cfa, LS_CALL_COND_WAIT);
    if (cl)
        ls_sl_wait(t, cl, LS_CALL_COND_WAIT, ret);
    int held = ls_release(t, lk);
    ls_wait_begin(t, LS_WAIT_COND, lk, c, NULL);
    int r = ls_real.cond_wait(c, m);
    ls_wait_end(t);
    cond_leave(t, cl);
    cond_after(t, c, lk, held, r, ret, cfa, LS_CALL_COND_WAIT);
    return r;
}

LS_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *abst)
{
    LS_ENSURE_REAL(cond_timedwait);
    if (ls_py_internal(m)) {
        int r = ls_real.cond_timedwait(c, m, abst);
        ls_pyr_gil_woken();
        return r;
    }
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_timedwait(c, m, abst);
    RET_CFA;
    struct ls_lock *cl = cond_enter(t, c, m, lk, ret, cfa, LS_CALL_COND_TIMEDWAIT);
    if (cl)
        ls_sl_wait(t, cl, LS_CALL_COND_TIMEDWAIT, ret);
    int held = ls_release(t, lk);
    if (t->tl)
        ls_tl_wait(t, LS_WAIT_COND, lk, c, NULL);
    int r = ls_real.cond_timedwait(c, m, abst);
    if (t->tl)
        ls_tl_wait_end(t);
    cond_leave(t, cl);
    cond_after(t, c, lk, held, r, ret, cfa, LS_CALL_COND_TIMEDWAIT);
    return r;
}

LS_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *abst)
{
    LS_ENSURE_REAL(cond_clockwait);
    if (ls_py_internal(m)) {
        int r = ls_real.cond_clockwait(c, m, clk, abst);
        ls_pyr_gil_woken();
        return r;
    }
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, m, LS_LOCK_MUTEX)))
        return ls_real.cond_clockwait(c, m, clk, abst);
    RET_CFA;
    struct ls_lock *cl = cond_enter(t, c, m, lk, ret, cfa, LS_CALL_COND_CLOCKWAIT);
    if (cl)
        ls_sl_wait(t, cl, LS_CALL_COND_CLOCKWAIT, ret);
    int held = ls_release(t, lk);
    if (t->tl)
        ls_tl_wait(t, LS_WAIT_COND, lk, c, NULL);
    int r = ls_real.cond_clockwait(c, m, clk, abst);
    if (t->tl)
        ls_tl_wait_end(t);
    cond_leave(t, cl);
    cond_after(t, c, lk, held, r, ret, cfa, LS_CALL_COND_CLOCKWAIT);
    return r;
}

/* Destroying a condvar, barrier or semaphore that threads wait on: the
 * finding names one of them and where it waits. */
static void destroy_check(const void *obj, uint32_t kind, uint32_t rule, uint64_t ret,
                          uint32_t call)
{
    struct ls_thread *t = ls_enter();
    struct ls_lock *o;
    if (t && ls_lock_known(obj) && (o = ls_lock_get(t, obj, kind)) &&
        atomic_load(&o->waiters) - (kind == LS_SYNC_SEM ? atomic_load(&o->woken) : 0) > 0) {
        struct ls_misuse_info mi = {.rule = rule, .call = call, .lk = o, .ret = ret};
        struct ls_thread *w = ls_waiter_on(t, obj, NULL, &mi.other_stack);
        mi.other_tid = w ? w->tid : 0;
        ls_misuse_ex(t, &mi);
    }
}

static void destroyed(const void *obj, int r, uint32_t call, uint64_t ret)
{
    struct ls_thread *t;
    if (r != 0 && (t = ls_enter())) {
        int saved = errno;
        ls_call_error(t, call, ls_lock_known(obj) ? ls_lock_get(t, obj, 0) : NULL, ret,
                      r < 0 ? saved : r);
        errno = saved;
    }
}

LS_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
    LS_ENSURE_REAL(cond_destroy);
    ls_sl_write_obj(c, LS_SYNC_COND, LS_CALL_COND_DESTROY, RET, 1);
    destroy_check(c, LS_SYNC_COND, LS_MISUSE_DESTROY_COND_WAITERS, RET, LS_CALL_COND_DESTROY);
    int r = ls_real.cond_destroy(c);
    destroyed(c, r, LS_CALL_COND_DESTROY, RET);
    return r;
}

LS_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
    LS_ENSURE_REAL(barrier_destroy);
    /* a thread still inside: a race on the barrier (synclife.c), else the misuse */
    if (!ls_sl_write_obj(b, LS_SYNC_BARRIER, LS_CALL_BARRIER_DESTROY, RET, 1))
        destroy_check(b, LS_SYNC_BARRIER, LS_MISUSE_DESTROY_IN_USE, RET, LS_CALL_BARRIER_DESTROY);
    int r = ls_real.barrier_destroy(b);
    destroyed(b, r, LS_CALL_BARRIER_DESTROY, RET);
    return r;
}

LS_EXPORT int sem_destroy(sem_t *s)
{
    LS_ENSURE_REAL(sem_destroy);
    ls_sl_write_obj(s, LS_SYNC_SEM, LS_CALL_SEM_DESTROY, RET, 1);
    destroy_check(s, LS_SYNC_SEM, LS_MISUSE_DESTROY_IN_USE, RET, LS_CALL_SEM_DESTROY);
    if (ls_py_on)
        ls_py_sem_destroy(s);
    int r = ls_real.sem_destroy(s);
    destroyed(s, r, LS_CALL_SEM_DESTROY, RET);
    return r;
}

/* A signal orders the signaller before the woken waiter (on top of the
 * mutex, which a signaller need not hold). */
static void signalling(pthread_cond_t *c, uint32_t call, uint64_t ret)
{
    struct ls_thread *t = ls_py_internal(c) ? NULL : ls_enter();
    struct ls_lock *o = t ? ls_lock_get(t, c, LS_SYNC_COND) : NULL;
    if (o)
        ls_sl_use(t, o, call, ret);
    if (t)
        ls_sync_release(t, c, LS_SYNC_COND);
}

static int signalled(pthread_cond_t *c, int r, uint32_t call, uint64_t ret)
{
    struct ls_thread *t;
    if (unlikely(r != 0) && (t = ls_enter()))
        ls_call_error(t, call, ls_lock_known(c) ? ls_lock_get(t, c, LS_SYNC_COND) : NULL, ret, r);
    return r;
}

LS_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    LS_ENSURE_REAL(cond_signal);
    signalling(c, LS_CALL_COND_SIGNAL, RET);
    return signalled(c, ls_real.cond_signal(c), LS_CALL_COND_SIGNAL, RET);
}

LS_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    LS_ENSURE_REAL(cond_broadcast);
    signalling(c, LS_CALL_COND_BROADCAST, RET);
    return signalled(c, ls_real.cond_broadcast(c), LS_CALL_COND_BROADCAST, RET);
}

/* glibc's semaphore on x86-64 (nptl/sem_waitcommon.h): a 64-bit word with
 * the value in its low half and the waiter count in its high half, then
 * the futex flags (0 shared, 128 private).  Memory whose value exceeds
 * SEM_VALUE_MAX or whose flags are neither holds no semaphore: glibc would
 * count on it all the same.  Only objects the shim has not seen initialized
 * or used are looked at (sem_open's and other processes' semaphores pass). */
struct glibc_sem {
    uint64_t data;
    int private_flag;
    int pad;
};

static int not_a_semaphore(const sem_t *s)
{
    if (ls_lock_at_home(s) || ls_lock_known(s))
        return 0;
    const struct glibc_sem *g = (const struct glibc_sem *)(const void *)s;
    uint32_t value = (uint32_t)g->data;
    return value > (uint32_t)SEM_VALUE_MAX || (g->private_flag != 0 && g->private_flag != 128);
}

static void sem_checks(struct ls_thread *t, sem_t *s, uint32_t call, uint64_t ret)
{
    ls_deferred_misuse(t);
    ls_sl_wait_obj(t, s, call, ret);
    if (unlikely(not_a_semaphore(s))) {
        struct ls_misuse_info mi = {
            .rule = LS_MISUSE_NOT_A_SEMAPHORE, .call = call, .ret = ret};
        ls_misuse_ex(t, &mi);
    }
}

/* A semaphore's blocked waiters are those no post has released yet: the
 * poster may destroy it at once (nobody is blocked on it any more), while
 * the waiter it released is still on its way out of sem_wait.  A post
 * releases one waiter if some are blocked; a waiter leaving takes one
 * release with it, if there is one.  The counts are only ever off towards
 * "not blocked". */
static void sem_wakes_one(struct ls_lock *o)
{
    int w = atomic_load(&o->woken);
    while (w < atomic_load(&o->waiters) && !atomic_compare_exchange_weak(&o->woken, &w, w + 1))
        ;
}

static void sem_leaves(struct ls_lock *o)
{
    atomic_fetch_sub(&o->waiters, 1);
    int w = atomic_load(&o->woken);
    while (w > 0 && !atomic_compare_exchange_weak(&o->woken, &w, w - 1))
        ;
}

/* sem_post is async-signal-safe, and so must this be: no waiting for a
 * lock (the release is skipped if the object's clock is busy), and a
 * failure is only noted, to be recorded by the thread's next semaphore
 * call or its end. */
LS_EXPORT int sem_post(sem_t *s)
{
    LS_ENSURE_REAL(sem_post);
    struct ls_thread *t = ls_self;
    if (t && !ls_guard && atomic_load_explicit(&ls_active, memory_order_relaxed)) {
        int saved = errno;
        struct ls_lock *known = ls_py_on ? NULL : ls_lock_at_home(s);
        if (known)
            ls_sl_use_async(t, known, LS_CALL_SEM_POST, RET);
        if (!ls_py_on || !ls_py_sem_post(s))
            ls_sync_release_async(t, s, LS_SYNC_SEM);
        errno = saved;
        int r = ls_real.sem_post(s);
        struct ls_lock *o;
        if (r == 0 && (o = ls_lock_get(t, s, LS_SYNC_SEM)))
            sem_wakes_one(o);
        if (unlikely(r != 0) && !t->deferred_ret) {
            t->deferred_err = errno;
            t->deferred_obj = s;
            t->deferred_ret = RET;
        }
        return r;
    }
    return ls_real.sem_post(s);
}

/* A failed wait: EINTR (a signal), EAGAIN (trywait), ETIMEDOUT are the
 * call's normal outcomes; anything else is an error. */
static void sem_failed(struct ls_thread *t, sem_t *s, uint32_t call, uint64_t ret, int err)
{
    if (err == EINTR || err == EAGAIN || err == ETIMEDOUT)
        return;
    ls_call_error(t, call, ls_lock_get(t, s, LS_SYNC_SEM), ret, err);
    errno = err;
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
    uint64_t ret = RET;
    sem_checks(t, s, LS_CALL_SEM_WAIT, ret);
    if (ls_real.sem_trywait(s) == 0) {
        ls_sync_acquire(t, s, LS_SYNC_SEM);
        errno = saved;
        return 0;
    }
    errno = saved;
    struct ls_lock *o = ls_lock_get(t, s, LS_SYNC_SEM);
    if (o) {
        ls_in_wait_at(t, s, NULL, ret, (uint64_t)(uintptr_t)__builtin_dwarf_cfa());
        atomic_fetch_add(&o->waiters, 1);
    }
    ls_wait_begin(t, LS_WAIT_SEM, NULL, s, NULL);
    int r = ls_real.sem_wait(s);
    saved = errno;
    ls_wait_end(t);
    if (o) {
        sem_leaves(o);
        ls_out_wait(t);
    }
    if (r == 0)
        ls_sync_acquire(t, s, LS_SYNC_SEM);
    else
        sem_failed(t, s, LS_CALL_SEM_WAIT, ret, saved);
    errno = saved;
    return r;
}

/* A successful wait learns what every post before it released. */
static int sem_taken(sem_t *s, int r, uint32_t call, uint64_t ret)
{
    struct ls_thread *t;
    if (r == 0 && (t = ls_enter())) {
        int saved = errno;
        ls_sync_acquire(t, s, LS_SYNC_SEM);
        errno = saved;
    } else if (r != 0 && (t = ls_enter())) {
        int saved = errno;
        sem_failed(t, s, call, ret, saved);
        errno = saved;
    }
    return r;
}

static void sem_before(sem_t *s, uint32_t call, uint64_t ret)
{
    struct ls_thread *t = ls_enter();
    if (t) {
        int saved = errno;
        sem_checks(t, s, call, ret);
        errno = saved;
    }
}

LS_EXPORT int sem_trywait(sem_t *s)
{
    LS_ENSURE_REAL(sem_trywait);
    if (ls_py_on) {
        RET_CFA;
        return ls_py_sem_trywait(s, ret, cfa);
    }
    sem_before(s, LS_CALL_SEM_TRYWAIT, RET);
    return sem_taken(s, ls_real.sem_trywait(s), LS_CALL_SEM_TRYWAIT, RET);
}

/* A timed wait is a waiter too while it blocks (destroying the semaphore
 * under it is as wrong), counted as sem_wait counts. */
static struct ls_lock *sem_timed_enter(sem_t *s, uint32_t call, uint64_t ret)
{
    struct ls_thread *t = ls_enter();
    if (!t)
        return NULL;
    int saved = errno;
    sem_checks(t, s, call, ret);
    struct ls_lock *o = ls_lock_get(t, s, LS_SYNC_SEM);
    if (o) {
        ls_in_wait(t, s, NULL, ret);
        atomic_fetch_add(&o->waiters, 1);
    }
    errno = saved;
    return o;
}

static void sem_timed_leave(struct ls_lock *o)
{
    struct ls_thread *t = ls_self;
    if (o && t) {
        sem_leaves(o);
        ls_out_wait(t);
    }
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
    struct ls_lock *o = sem_timed_enter(s, LS_CALL_SEM_TIMEDWAIT, RET);
    int r = ls_real.sem_timedwait(s, abst);
    int saved = errno;
    sem_timed_leave(o);
    errno = saved;
    return sem_taken(s, r, LS_CALL_SEM_TIMEDWAIT, RET);
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
    struct ls_lock *o = sem_timed_enter(s, LS_CALL_SEM_CLOCKWAIT, RET);
    int r = ls_real.sem_clockwait(s, clk, abst);
    int saved = errno;
    sem_timed_leave(o);
    errno = saved;
    return sem_taken(s, r, LS_CALL_SEM_CLOCKWAIT, RET);
}

/* glibc's barrier (nptl/pthread_barrier_wait.c): in, current_round, count,
 * shared, out.  count is the number of threads released together. */
static uint32_t barrier_round(struct ls_lock *o, const pthread_barrier_t *b)
{
    uint32_t n = atomic_load(&o->round);
    return n ? n : ((const unsigned int *)(const void *)b)[2];
}

/* Every arrival happens before every departure.  A thread counts as a
 * waiter from its arrival until its round is complete, which is before any
 * thread of the round returns: the thread that gets
 * PTHREAD_BARRIER_SERIAL_THREAD may destroy the barrier at once, as POSIX
 * allows, while the others are still on their way out. */
LS_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    LS_ENSURE_REAL(barrier_wait);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.barrier_wait(b);
    struct ls_lock *o = ls_lock_get(t, b, LS_SYNC_BARRIER);
    uint64_t ret = RET;
    if (o)
        ls_sl_use(t, o, LS_CALL_BARRIER_WAIT, ret);
    ls_sync_release(t, b, LS_SYNC_BARRIER);
    if (o) {
        ls_in_wait_at(t, b, NULL, ret, (uint64_t)(uintptr_t)__builtin_dwarf_cfa());
        uint32_t round = barrier_round(o, b);
        int old = atomic_load(&o->waiters), next;
        do {
            next = old + 1;
            if (round && (uint32_t)next >= round)
                next = 0; /* the last arrival: the round is complete */
        } while (!atomic_compare_exchange_weak(&o->waiters, &old, next));
    }
    ls_wait_begin(t, LS_WAIT_BARRIER, NULL, b, NULL);
    int r = ls_real.barrier_wait(b);
    ls_wait_end(t);
    if (o) {
        ls_out_wait(t);
        if (!barrier_round(o, b))
            atomic_fetch_sub(&o->waiters, 1); /* count unknown: leave at return */
    }
    ls_sync_acquire(t, b, LS_SYNC_BARRIER);
    if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD)
        ls_call_error(t, LS_CALL_BARRIER_WAIT, o, ret, r);
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
    else
        ls_call_error(t, LS_CALL_ONCE, NULL, RET, r);
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
