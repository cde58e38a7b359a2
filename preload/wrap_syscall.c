/*
 * syscall(2): hand-written synchronization that goes through libc's
 * syscall() (liburcu's grace periods, many lock-free libraries).
 *
 *   - futex: a wake (FUTEX_WAKE, _BITSET, _OP, REQUEUE, CMP_REQUEUE) releases
 *     the futex word's clock before it wakes anybody; every return from a
 *     wait (FUTEX_WAIT, _BITSET, LOCK_PI, WAIT_REQUEUE_PI) acquires it, so a
 *     waker is ordered before each wait it ends.  An acquire that no wake
 *     released teaches nothing: extra acquires can hide a race, never
 *     invent one.
 *   - membarrier: when it returns, every other live thread's accesses so far
 *     are ordered before the caller's later ones (its clock joins theirs).
 *
 * The call itself is made with the syscall instruction, as libc does, with
 * errno set the same way.  Inline syscall instructions and libc's own
 * internal futexes are not seen here (those are the pthread calls, which
 * are wrapped).
 */
#define _GNU_SOURCE
#include "wrap.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>

static long raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long r;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

static void futex_before(struct ls_thread *t, long op, long uaddr, long uaddr2)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_UNLOCK_PI:
        /* Async: a wake may come from a signal handler. */
        ls_sync_release_async(t, (const void *)uaddr, LS_SYNC_FUTEX);
        break;
    case FUTEX_WAKE_OP:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_CMP_REQUEUE_PI:
        ls_sync_release_async(t, (const void *)uaddr, LS_SYNC_FUTEX);
        if (uaddr2)
            ls_sync_release_async(t, (const void *)uaddr2, LS_SYNC_FUTEX);
        break;
    default:
        break;
    }
}

static void futex_after(struct ls_thread *t, long op, long uaddr)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI:
    case FUTEX_WAIT_REQUEUE_PI:
        ls_sync_acquire(t, (const void *)uaddr, LS_SYNC_FUTEX);
        break;
    default:
        break;
    }
}

LS_EXPORT long syscall(long nr, ...);
LS_EXPORT long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    int saved = errno; /* libc's syscall() leaves errno alone on success */
    struct ls_thread *t = NULL;
    if (nr == SYS_futex || nr == SYS_membarrier)
        t = ls_enter();
    if (t && nr == SYS_futex)
        futex_before(t, a2, a1, a5);
    long r = raw_syscall(nr, a1, a2, a3, a4, a5, a6);
    int err = 0;
    if ((unsigned long)r > -4096ul) {
        err = (int)-r;
        r = -1;
    }
    if (t && nr == SYS_futex)
        futex_after(t, a2, a1);
    else if (t && nr == SYS_membarrier && r >= 0)
        ls_clock_join_all(t);
    errno = err ? err : saved;
    return r;
}
