/*
 * pthread_rwlock_* and pthread_spin_* wrappers: the same protocol as the
 * mutexes (wrap_mutex.c), with the mode of each hold recorded (readers do
 * not block readers) and live-deadlock waits published when they block.
 */
#define _GNU_SOURCE
#include "hot.h"
#include "synclife.h"
#include "wrap.h"

#include <errno.h>

#define RET_CFA                                                                     \
    uint64_t ret = (uint64_t)(uintptr_t)__builtin_return_address(0);                \
    uint64_t cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa()

#define RET ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* glibc: readers in __readers >> 3, the writer's thread id in __cur_writer. */
static int rw_locked(const pthread_rwlock_t *l)
{
    return (l->__data.__readers >> 3) != 0 || l->__data.__cur_writer != 0;
}

/* Held by a thread that exists (the writer glibc names, or any thread's
 * held stack): not a copy a forked child inherited from its parent's
 * threads.  Returns that thread (t itself if it holds it), or NULL; *stack:
 * where another thread took it. */
static struct ls_thread *rw_holder(struct ls_thread *t, struct ls_lock *lk,
                                   const pthread_rwlock_t *l, uint32_t *stack)
{
    *stack = 0;
    if (ls_held_find(t, lk) || (uint32_t)l->__data.__cur_writer == t->os_tid)
        return t;
    return ls_holder_of(t, lk, (uint32_t)l->__data.__cur_writer, stack);
}

static void rw_in_use(struct ls_thread *t, uint32_t rule, uint32_t call, struct ls_lock *lk,
                      struct ls_thread *h, uint32_t stack, uint64_t ret)
{
    struct ls_misuse_info mi = {.rule = rule, .call = call, .lk = lk, .ret = ret};
    if (h != t) {
        mi.other_tid = h->tid;
        mi.other_stack = stack;
    }
    ls_misuse_ex(t, &mi);
}

LS_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
    LS_ENSURE_REAL(rwlock_init);
    struct ls_thread *t0 = ls_enter();
    if (t0 && ls_lock_known(l) && rw_locked(l)) {
        struct ls_lock *k = ls_lock_get(t0, l, LS_LOCK_RWLOCK);
        uint32_t st;
        struct ls_thread *h = k && atomic_load(&k->id) ? rw_holder(t0, k, l, &st) : NULL;
        if (h && !(h == t0 && ls_held_inherited(t0, k)))
            rw_in_use(t0, LS_MISUSE_REINIT_IN_USE, LS_CALL_RWLOCK_INIT, k, h, st, RET);
        if (k) /* init leaves it unlocked */
            while (ls_release(t0, k) && ls_held_find(t0, k))
                ;
    }
    int r = ls_real.rwlock_init(l, a);
    struct ls_thread *t = t0;
    struct ls_lock *lk;
    if (t && r == 0 && (lk = ls_lock_get(t, l, LS_LOCK_RWLOCK)))
        ls_lock_init_event(lk, LS_LOCK_RWLOCK), ls_sl_write(t, lk, LS_CALL_RWLOCK_INIT, RET, 0);
    else if (t && r != 0)
        ls_call_error(t, LS_CALL_RWLOCK_INIT, NULL, RET, r);
    return r;
}

LS_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_destroy);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk = NULL;
    if (t && (lk = ls_lock_get(t, l, LS_LOCK_RWLOCK))) {
        uint32_t st;
        struct ls_thread *h = rw_locked(l) ? rw_holder(t, lk, l, &st) : NULL;
        if (h)
            rw_in_use(t, LS_MISUSE_DESTROY_LOCKED, LS_CALL_RWLOCK_DESTROY, lk, h, st, RET);
        else if (!rw_locked(l))
            ls_sl_write(t, lk, LS_CALL_RWLOCK_DESTROY, RET, 1), ls_lock_destroy_event(lk);
    }
    int r = ls_real.rwlock_destroy(l);
    if (t && r != 0)
        ls_call_error(t, LS_CALL_RWLOCK_DESTROY, lk, RET, r);
    return r;
}

/* A blocking write request on a writer-preferring rwlock: the writer can
 * queue, and readers can then wait behind it, which the lock-order check
 * must know (once per lock generation and file).  A timed request gives up
 * by itself: the readers behind it only wait a while. */
static void writer_queued(struct ls_thread *t, struct ls_lock *lk, const pthread_rwlock_t *l)
{
    uint32_t id = atomic_load(&lk->id);
    if (!id || (atomic_load(&lk->writer_queue_id) == id &&
                atomic_load(&lk->writer_queue_gen) == ls_file_gen))
        return;
    atomic_store(&lk->writer_queue_id, id);
    atomic_store(&lk->writer_queue_gen, ls_file_gen);
    ls_guard++;
    ls_lock_ensure_written(lk);
    struct ls_rec_writer_queue r = {.lock = id, .tid = t->tid};
    ls_writer_record(LS_REC_WRITER_QUEUE, &r, sizeof r, NULL, 0, NULL, 0);
    ls_guard--;
}

/* Blocking acquisition: try first, then publish the wait and block in the
 * real call (a writer keeps its place in the queue, as natively).  A write
 * request over the thread's own read hold never returns: reported at once
 * (glibc returns EDEADLK itself for the other self-relocks).  A read request
 * over its own read hold is a wait like any other: on a writer-preferring
 * rwlock it queues behind a waiting writer. */
static int rw_blocking(struct ls_thread *t, struct ls_lock *lk, pthread_rwlock_t *l, int read,
                       int held)
{
    if (unlikely(held == LS_HELD_READ) && !read)
        ls_self_deadlock(t, lk, l, LS_WAIT_LOCK);
    if (!read && unlikely(l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        writer_queued(t, lk, l);
    int r = read ? ls_real.rwlock_tryrdlock(l) : ls_real.rwlock_trywrlock(l);
    if (likely(r != EBUSY))
        return r;
    uint64_t t0 = ls_mono_ns();
    if (held != LS_HELD_WRITE)
        ls_wait_begin(t, read ? LS_WAIT_LOCK_READ : LS_WAIT_LOCK, lk, l, NULL);
    r = read ? ls_real.rwlock_rdlock(l) : ls_real.rwlock_wrlock(l);
    ls_wait_end(t);
    t->last_wait_ns = ls_mono_ns() - t0 + 1;
    return r;
}

/* The timed and clock variants: the same, with the program's deadline
 * (clk < 0: pthread_rwlock_timed*lock, on CLOCK_REALTIME). */
static int rw_timed(struct ls_thread *t, struct ls_lock *lk, pthread_rwlock_t *l, int read,
                    int held, clockid_t clk, const struct timespec *abst)
{
    int timed = clk < 0;
#define RW_REAL_TIMED()                                                                    \
    (timed ? (read ? ls_real.rwlock_timedrdlock(l, abst) : ls_real.rwlock_timedwrlock(l, abst)) \
           : (read ? ls_real.rwlock_clockrdlock(l, clk, abst)                              \
                   : ls_real.rwlock_clockwrlock(l, clk, abst)))
    if (held || !abst)
        return RW_REAL_TIMED();
    int r = read ? ls_real.rwlock_tryrdlock(l) : ls_real.rwlock_trywrlock(l);
    if (r != EBUSY)
        return r;
    uint64_t t0 = ls_mono_ns();
    ls_wait_begin_timed(t, read ? LS_WAIT_LOCK_READ : LS_WAIT_LOCK, lk, l,
                        timed ? CLOCK_REALTIME : clk, abst);
    r = RW_REAL_TIMED();
    ls_wait_end(t);
#undef RW_REAL_TIMED
    if (r == 0)
        t->last_wait_ns = ls_mono_ns() - t0 + 1;
    return r;
}

/* EBUSY (try) and ETIMEDOUT (timed) are what those calls are for; EDEADLK
 * (the writer asks again), EAGAIN (too many readers), EINVAL (a bad
 * timeout, not an rwlock) are errors. */
#define RW_ACQUIRE(code, flags, untraced, traced)                                   \
    do {                                                                            \
        struct ls_thread *t = ls_enter();                                           \
        struct ls_lock *lk;                                                         \
        if (!t || !(lk = ls_lock_get(t, l, LS_LOCK_RWLOCK)))                        \
            return untraced;                                                        \
        RET_CFA;                                                                    \
        ls_sl_use(t, lk, code, ret);                                                \
        int held = ls_acquire_pre(t, lk, flags, ret, cfa);                          \
        (void)held;                                                                 \
        int r = traced;                                                             \
        if (r == 0)                                                                 \
            ls_acquire_post(t, lk, flags, ret, cfa);                                \
        else if (r != EBUSY && r != ETIMEDOUT)                                      \
            ls_call_error(t, code, lk, ret, r);                                     \
        return r;                                                                   \
    } while (0)

LS_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_rdlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_RDLOCK, LS_ACQ_READ, ls_real.rwlock_rdlock(l), rw_blocking(t, lk, l, 1, held));
}

LS_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_wrlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_WRLOCK, 0, ls_real.rwlock_wrlock(l), rw_blocking(t, lk, l, 0, held));
}

LS_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_tryrdlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_TRYRDLOCK, LS_ACQ_READ | LS_ACQ_TRY, ls_real.rwlock_tryrdlock(l), ls_real.rwlock_tryrdlock(l));
}

LS_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_trywrlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_TRYWRLOCK, LS_ACQ_TRY, ls_real.rwlock_trywrlock(l), ls_real.rwlock_trywrlock(l));
}

LS_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_timedrdlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_TIMEDRDLOCK, LS_ACQ_READ | LS_ACQ_TIMED, ls_real.rwlock_timedrdlock(l, abst),
               rw_timed(t, lk, l, 1, held, (clockid_t)-1, abst));
}

LS_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_timedwrlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_TIMEDWRLOCK, LS_ACQ_TIMED, ls_real.rwlock_timedwrlock(l, abst),
               rw_timed(t, lk, l, 0, held, (clockid_t)-1, abst));
}

LS_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c,
                                         const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_clockrdlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_CLOCKRDLOCK, LS_ACQ_READ | LS_ACQ_TIMED, ls_real.rwlock_clockrdlock(l, c, abst),
               rw_timed(t, lk, l, 1, held, c, abst));
}

LS_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c,
                                         const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_clockwrlock);
    RW_ACQUIRE(LS_CALL_RWLOCK_CLOCKWRLOCK, LS_ACQ_TIMED, ls_real.rwlock_clockwrlock(l, c, abst),
               rw_timed(t, lk, l, 0, held, c, abst));
}

LS_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_unlock);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && (lk = ls_lock_get(t, l, LS_LOCK_RWLOCK)) &&
        (ls_sl_use(t, lk, LS_CALL_RWLOCK_UNLOCK, RET), !ls_release(t, lk)) &&
        (uint32_t)l->__data.__cur_writer != t->os_tid) {
        /* held by another thread, maybe: name it */
        uint32_t st = 0;
        struct ls_thread *h = ls_holder_of(t, lk, (uint32_t)l->__data.__cur_writer, &st);
        struct ls_misuse_info mi = {.rule = LS_MISUSE_RWLOCK_UNLOCK_NOT_HELD,
                                    .call = LS_CALL_RWLOCK_UNLOCK, .lk = lk, .ret = RET,
                                    .other_tid = h ? h->tid : 0, .other_stack = h ? st : 0};
        ls_misuse_ex(t, &mi);
    }
    int r = ls_real.rwlock_unlock(l);
    if (t && r != 0)
        ls_call_error(t, LS_CALL_RWLOCK_UNLOCK, NULL, RET, r);
    return r;
}

/* ---- spinlocks: a spinning thread waits too --------------------------- */

/* Re-initializing a spinlock a live thread holds lets a second thread in:
 * misuse, like a mutex's.  (glibc's word does not say: on x86-64 1 is
 * free and 0 or less taken, elsewhere the other way round; the held stacks
 * do.) */
LS_EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
    LS_ENSURE_REAL(spin_init);
    struct ls_thread *t = ls_enter();
    if (t && ls_lock_known((const void *)l)) {
        struct ls_lock *k = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN);
        if (k && atomic_load(&k->id)) {
            uint32_t st = 0;
            struct ls_thread *h = ls_held_find(t, k) ? t : ls_holder_of(t, k, 0, &st);
            if (h && !(h == t && ls_held_inherited(t, k)))
                rw_in_use(t, LS_MISUSE_REINIT_IN_USE, LS_CALL_SPIN_INIT, k, h, st, RET);
            while (ls_release(t, k) && ls_held_find(t, k))
                ;
        }
    }
    int r = ls_real.spin_init(l, pshared);
    struct ls_lock *lk;
    if (t && r == 0 && (lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        ls_lock_init_event(lk, LS_LOCK_SPIN);
    else if (t && r != 0)
        ls_call_error(t, LS_CALL_SPIN_INIT, NULL, RET, r);
    return r;
}

LS_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
    LS_ENSURE_REAL(spin_destroy);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && (lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        ls_lock_destroy_event(lk);
    int r = ls_real.spin_destroy(l);
    if (t && r != 0)
        ls_call_error(t, LS_CALL_SPIN_DESTROY, NULL, RET, r);
    return r;
}

static int spin_blocking(struct ls_thread *t, struct ls_lock *lk, pthread_spinlock_t *l,
                         int held)
{
    if (unlikely(held))
        ls_self_deadlock(t, lk, (const void *)l, LS_WAIT_LOCK);
    int r = ls_real.spin_trylock(l);
    if (likely(r != EBUSY))
        return r;
    uint64_t t0 = ls_mono_ns();
    if (!ls_opt.deadlock) {
        r = ls_real.spin_lock(l);
        t->last_wait_ns = ls_mono_ns() - t0 + 1;
        return r;
    }
    ls_wait_begin(t, LS_WAIT_LOCK, lk, (const void *)l, NULL);
    r = ls_real.spin_lock(l);
    ls_wait_end(t);
    t->last_wait_ns = ls_mono_ns() - t0 + 1;
    return r;
}

LS_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
    LS_ENSURE_REAL(spin_lock);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        return ls_real.spin_lock(l);
    RET_CFA;
    int held = ls_acquire_pre(t, lk, 0, ret, cfa);
    int r = spin_blocking(t, lk, l, held);
    if (r == 0)
        ls_acquire_post(t, lk, 0, ret, cfa);
    else
        ls_call_error(t, LS_CALL_SPIN_LOCK, lk, ret, r);
    return r;
}

LS_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
    LS_ENSURE_REAL(spin_trylock);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (!t || !(lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        return ls_real.spin_trylock(l);
    RET_CFA;
    ls_acquire_pre(t, lk, LS_ACQ_TRY, ret, cfa);
    int r = ls_real.spin_trylock(l);
    if (r == 0)
        ls_acquire_post(t, lk, 0, ret, cfa);
    else if (r != EBUSY)
        ls_call_error(t, LS_CALL_SPIN_TRYLOCK, lk, ret, r);
    return r;
}

LS_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
    LS_ENSURE_REAL(spin_unlock);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && (lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        ls_release(t, lk);
    int r = ls_real.spin_unlock(l);
    if (t && unlikely(r != 0))
        ls_call_error(t, LS_CALL_SPIN_UNLOCK, lk, RET, r);
    return r;
}
