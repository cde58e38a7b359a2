/*
 * pthread_rwlock_* and pthread_spin_* wrappers: the same protocol as the
 * mutexes (wrap_mutex.c), with the mode of each hold recorded (readers do
 * not block readers) and live-deadlock waits published when they block.
 */
#define _GNU_SOURCE
#include "hot.h"
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

LS_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
    LS_ENSURE_REAL(rwlock_init);
    struct ls_thread *t0 = ls_enter();
    if (t0 && ls_lock_known(l) && rw_locked(l)) {
        struct ls_lock *k = ls_lock_get(t0, l, LS_LOCK_RWLOCK);
        if (k && atomic_load(&k->id))
            ls_misuse(t0, LS_MISUSE_REINIT_IN_USE, k, RET, 0);
    }
    int r = ls_real.rwlock_init(l, a);
    struct ls_thread *t = t0;
    struct ls_lock *lk;
    if (t && r == 0 && (lk = ls_lock_get(t, l, LS_LOCK_RWLOCK)))
        ls_lock_init_event(lk, LS_LOCK_RWLOCK);
    return r;
}

LS_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_destroy);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && (lk = ls_lock_get(t, l, LS_LOCK_RWLOCK))) {
        if (rw_locked(l))
            ls_misuse(t, LS_MISUSE_DESTROY_LOCKED, lk, RET, 0);
        else
            ls_lock_destroy_event(lk);
    }
    return ls_real.rwlock_destroy(l);
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

#define RW_ACQUIRE(flags, untraced, traced)                                         \
    do {                                                                            \
        struct ls_thread *t = ls_enter();                                           \
        struct ls_lock *lk;                                                         \
        if (!t || !(lk = ls_lock_get(t, l, LS_LOCK_RWLOCK)))                        \
            return untraced;                                                        \
        RET_CFA;                                                                    \
        int held = ls_acquire_pre(t, lk, flags, ret, cfa);                          \
        (void)held;                                                                 \
        int r = traced;                                                             \
        if (r == 0)                                                                 \
            ls_acquire_post(t, lk, flags, ret, cfa);                                \
        return r;                                                                   \
    } while (0)

LS_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_rdlock);
    RW_ACQUIRE(LS_ACQ_READ, ls_real.rwlock_rdlock(l), rw_blocking(t, lk, l, 1, held));
}

LS_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_wrlock);
    RW_ACQUIRE(0, ls_real.rwlock_wrlock(l), rw_blocking(t, lk, l, 0, held));
}

LS_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_tryrdlock);
    RW_ACQUIRE(LS_ACQ_READ | LS_ACQ_TRY, ls_real.rwlock_tryrdlock(l), ls_real.rwlock_tryrdlock(l));
}

LS_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_trywrlock);
    RW_ACQUIRE(LS_ACQ_TRY, ls_real.rwlock_trywrlock(l), ls_real.rwlock_trywrlock(l));
}

LS_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_timedrdlock);
    RW_ACQUIRE(LS_ACQ_READ | LS_ACQ_TIMED, ls_real.rwlock_timedrdlock(l, abst),
               rw_timed(t, lk, l, 1, held, (clockid_t)-1, abst));
}

LS_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_timedwrlock);
    RW_ACQUIRE(LS_ACQ_TIMED, ls_real.rwlock_timedwrlock(l, abst),
               rw_timed(t, lk, l, 0, held, (clockid_t)-1, abst));
}

LS_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c,
                                         const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_clockrdlock);
    RW_ACQUIRE(LS_ACQ_READ | LS_ACQ_TIMED, ls_real.rwlock_clockrdlock(l, c, abst),
               rw_timed(t, lk, l, 1, held, c, abst));
}

LS_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c,
                                         const struct timespec *abst)
{
    LS_ENSURE_REAL(rwlock_clockwrlock);
    RW_ACQUIRE(LS_ACQ_TIMED, ls_real.rwlock_clockwrlock(l, c, abst),
               rw_timed(t, lk, l, 0, held, c, abst));
}

LS_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    LS_ENSURE_REAL(rwlock_unlock);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && (lk = ls_lock_get(t, l, LS_LOCK_RWLOCK)) && !ls_release(t, lk) &&
        (uint32_t)l->__data.__cur_writer != t->os_tid)
        ls_misuse(t, LS_MISUSE_RWLOCK_UNLOCK_NOT_HELD, lk, RET, 0);
    return ls_real.rwlock_unlock(l);
}

/* ---- spinlocks: a spinning thread waits too --------------------------- */

LS_EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
    LS_ENSURE_REAL(spin_init);
    int r = ls_real.spin_init(l, pshared);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && r == 0 && (lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        ls_lock_init_event(lk, LS_LOCK_SPIN);
    return r;
}

LS_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
    LS_ENSURE_REAL(spin_destroy);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && (lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        ls_lock_destroy_event(lk);
    return ls_real.spin_destroy(l);
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
    return r;
}

LS_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
    LS_ENSURE_REAL(spin_unlock);
    struct ls_thread *t = ls_enter();
    struct ls_lock *lk;
    if (t && (lk = ls_lock_get(t, (const void *)l, LS_LOCK_SPIN)))
        ls_release(t, lk);
    return ls_real.spin_unlock(l);
}
