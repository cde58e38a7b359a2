#define _GNU_SOURCE
#include "misuse.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    uint32_t code;
    const char *id;
    const char *what;         /* "<thread> <what>": the lock's label follows where %s */
    const char *why;
} rules[] = {
    {LS_MISUSE_ERRORCHECK_RELOCK, "errorcheck-relock", "locks %s again while it already holds it",
     "The mutex is error-checking, so pthread_mutex_lock returned EDEADLK instead of hanging; "
     "code that does not check that result goes on believing it took the lock a second time."},
    {LS_MISUSE_UNLOCK_NOT_LOCKED, "unlock-not-locked", "unlocks %s, which nobody holds",
     "Unlocking a mutex that is not locked is undefined for a default mutex (its state may be "
     "corrupted) and fails with EPERM for an error-checking one; some path unlocks twice or "
     "unlocks without having locked."},
    {LS_MISUSE_UNLOCK_NOT_OWNER, "unlock-not-owner", "unlocks %s, which another thread holds",
     "Only the owner may unlock a mutex: for a default mutex this is undefined and silently "
     "lets a third thread in while the owner believes it still holds the lock; an "
     "error-checking mutex refuses with EPERM."},
    {LS_MISUSE_PLAIN_RELOCK, "plain-relock", "locks %s again while it already holds it",
     "The mutex is neither recursive nor error-checking: the second lock waits for the thread "
     "itself and never returns (see the deadlock reported with it)."},
    {LS_MISUSE_DESTROY_LOCKED, "destroy-locked", "destroys %s while it is locked",
     "Destroying a locked mutex or rwlock fails with EBUSY or corrupts it; the lock is still "
     "in use by whoever holds it."},
    {LS_MISUSE_DESTROY_COND_WAITERS, "destroy-cond-waiters",
     "destroys a condition variable while threads wait on it",
     "The waiters may never wake up, or wake up on freed memory."},
    {LS_MISUSE_DESTROY_IN_USE, "destroy-in-use",
     "destroys a barrier or semaphore while threads wait at it",
     "The waiting threads are left on an object that no longer exists."},
    {LS_MISUSE_COND_WAIT_NOT_HELD, "cond-wait-not-held",
     "waits on a condition variable with %s, which it does not hold",
     "pthread_cond_wait must be called with its mutex locked: the wait unlocks it, and the "
     "wakeup can be missed between the check of the condition and the wait."},
    {LS_MISUSE_COND_TWO_MUTEXES, "cond-two-mutexes",
     "waits on a condition variable with %s while other threads wait on it with another mutex",
     "Threads waiting on one condition variable at the same time must use the same mutex; "
     "the result is undefined otherwise."},
    {LS_MISUSE_EXIT_HOLDING, "exit-holding-locks", "ends while it holds %s",
     "Nobody can unlock it any more: every thread that asks for it later waits forever."},
    {LS_MISUSE_PROCESS_EXIT_HOLDING, "held-at-process-exit",
     "exits the process while it holds %s",
     "The lock is never released: cleanup that runs at exit (atexit handlers, destructors) "
     "and needs it will hang."},
    {LS_MISUSE_RWLOCK_UNLOCK_NOT_HELD, "rwlock-unlock-not-held",
     "unlocks %s, which it holds neither for reading nor for writing",
     "Unlocking an rwlock the thread does not hold is undefined: it can drop another "
     "thread's read hold or corrupt the lock."},
    {LS_MISUSE_REINIT_IN_USE, "reinit-in-use", "initializes %s again while it is in use",
     "Re-initializing a lock that is held resets it under its holder's feet: two threads can "
     "then be inside the critical section at once."},
    {LS_MISUSE_CALL_ERROR, "call-error", "gets an error from a call on %s",
     "Code that does not check the result goes on as if the call had done its work."},
    {LS_MISUSE_THREAD_LEAK, "thread-leak",
     "was created here, finished, and was neither joined nor detached when the process "
     "exited",
     "A joinable thread keeps its stack and its result until someone joins it: every such "
     "thread is a leak (a program that makes them in a loop runs out of memory or threads). "
     "Join it, or detach it if nobody needs its end."},
    {LS_MISUSE_ROBUST_INCONSISTENT, "robust-inconsistent",
     "unlocks the robust mutex %s, which it took with EOWNERDEAD, without calling "
     "pthread_mutex_consistent",
     "The previous owner died holding it; the thread that gets EOWNERDEAD must repair the "
     "state and call pthread_mutex_consistent before unlocking. Unlocked as it is, the mutex "
     "becomes unusable: every later lock fails with ENOTRECOVERABLE."},
    {LS_MISUSE_NOT_A_SEMAPHORE, "not-a-semaphore",
     "calls a semaphore function on memory that holds no semaphore",
     "The memory was never initialized with sem_init (or was overwritten): its count and "
     "flags are impossible for a semaphore, and glibc counts on them all the same, so waits "
     "pass or block at random."},
};

static const char *const call_names[] = {
    [LS_CALL_MUTEX_INIT] = "pthread_mutex_init", [LS_CALL_MUTEX_LOCK] = "pthread_mutex_lock",
    [LS_CALL_MUTEX_TRYLOCK] = "pthread_mutex_trylock",
    [LS_CALL_MUTEX_TIMEDLOCK] = "pthread_mutex_timedlock",
    [LS_CALL_MUTEX_CLOCKLOCK] = "pthread_mutex_clocklock",
    [LS_CALL_MUTEX_UNLOCK] = "pthread_mutex_unlock",
    [LS_CALL_MUTEX_DESTROY] = "pthread_mutex_destroy", [LS_CALL_COND_INIT] = "pthread_cond_init",
    [LS_CALL_COND_WAIT] = "pthread_cond_wait", [LS_CALL_COND_TIMEDWAIT] = "pthread_cond_timedwait",
    [LS_CALL_COND_CLOCKWAIT] = "pthread_cond_clockwait",
    [LS_CALL_COND_SIGNAL] = "pthread_cond_signal",
    [LS_CALL_COND_BROADCAST] = "pthread_cond_broadcast",
    [LS_CALL_COND_DESTROY] = "pthread_cond_destroy", [LS_CALL_RWLOCK_INIT] = "pthread_rwlock_init",
    [LS_CALL_RWLOCK_RDLOCK] = "pthread_rwlock_rdlock",
    [LS_CALL_RWLOCK_WRLOCK] = "pthread_rwlock_wrlock",
    [LS_CALL_RWLOCK_TRYRDLOCK] = "pthread_rwlock_tryrdlock",
    [LS_CALL_RWLOCK_TRYWRLOCK] = "pthread_rwlock_trywrlock",
    [LS_CALL_RWLOCK_TIMEDRDLOCK] = "pthread_rwlock_timedrdlock",
    [LS_CALL_RWLOCK_TIMEDWRLOCK] = "pthread_rwlock_timedwrlock",
    [LS_CALL_RWLOCK_CLOCKRDLOCK] = "pthread_rwlock_clockrdlock",
    [LS_CALL_RWLOCK_CLOCKWRLOCK] = "pthread_rwlock_clockwrlock",
    [LS_CALL_RWLOCK_UNLOCK] = "pthread_rwlock_unlock",
    [LS_CALL_RWLOCK_DESTROY] = "pthread_rwlock_destroy", [LS_CALL_SPIN_INIT] = "pthread_spin_init",
    [LS_CALL_SPIN_LOCK] = "pthread_spin_lock", [LS_CALL_SPIN_TRYLOCK] = "pthread_spin_trylock",
    [LS_CALL_SPIN_UNLOCK] = "pthread_spin_unlock", [LS_CALL_SPIN_DESTROY] = "pthread_spin_destroy",
    [LS_CALL_SEM_INIT] = "sem_init", [LS_CALL_SEM_WAIT] = "sem_wait",
    [LS_CALL_SEM_TRYWAIT] = "sem_trywait", [LS_CALL_SEM_TIMEDWAIT] = "sem_timedwait",
    [LS_CALL_SEM_CLOCKWAIT] = "sem_clockwait", [LS_CALL_SEM_POST] = "sem_post",
    [LS_CALL_SEM_DESTROY] = "sem_destroy", [LS_CALL_BARRIER_INIT] = "pthread_barrier_init",
    [LS_CALL_BARRIER_WAIT] = "pthread_barrier_wait",
    [LS_CALL_BARRIER_DESTROY] = "pthread_barrier_destroy", [LS_CALL_ONCE] = "pthread_once",
    [LS_CALL_CREATE] = "pthread_create", [LS_CALL_JOIN] = "pthread_join",
    [LS_CALL_TRYJOIN] = "pthread_tryjoin_np", [LS_CALL_TIMEDJOIN] = "pthread_timedjoin_np",
    [LS_CALL_DETACH] = "pthread_detach", [LS_CALL_MTX_INIT] = "mtx_init",
    [LS_CALL_MTX_LOCK] = "mtx_lock", [LS_CALL_MTX_TRYLOCK] = "mtx_trylock",
    [LS_CALL_MTX_TIMEDLOCK] = "mtx_timedlock", [LS_CALL_MTX_UNLOCK] = "mtx_unlock",
    [LS_CALL_CND_INIT] = "cnd_init", [LS_CALL_CND_WAIT] = "cnd_wait",
    [LS_CALL_CND_TIMEDWAIT] = "cnd_timedwait", [LS_CALL_CND_SIGNAL] = "cnd_signal",
    [LS_CALL_CND_BROADCAST] = "cnd_broadcast", [LS_CALL_THRD_CREATE] = "thrd_create",
    [LS_CALL_THRD_JOIN] = "thrd_join", [LS_CALL_THRD_DETACH] = "thrd_detach",
    [LS_CALL_CALL_ONCE] = "call_once", [LS_CALL_MUTEX_CONSISTENT] = "pthread_mutex_consistent",
};

const char *ls_misuse_call_name(uint32_t call)
{
    return call < sizeof call_names / sizeof call_names[0] ? call_names[call] : NULL;
}

const char *ls_errno_name(int e)
{
    switch (e) {
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EBUSY: return "EBUSY";
    case EDEADLK: return "EDEADLK";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case ENOMEM: return "ENOMEM";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case EINTR: return "EINTR";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    default: return NULL;
    }
}

/* The family of a call, for what its errors mean. */
enum family { F_OTHER, F_MUTEX, F_COND, F_RWLOCK, F_SPIN, F_SEM, F_BARRIER, F_ONCE, F_CREATE,
              F_JOIN, F_DETACH };

static enum family family_of(uint32_t c)
{
    if ((c >= LS_CALL_MUTEX_INIT && c <= LS_CALL_MUTEX_DESTROY) ||
        (c >= LS_CALL_MTX_INIT && c <= LS_CALL_MTX_UNLOCK) || c == LS_CALL_MUTEX_CONSISTENT)
        return F_MUTEX;
    if ((c >= LS_CALL_COND_INIT && c <= LS_CALL_COND_DESTROY) ||
        (c >= LS_CALL_CND_INIT && c <= LS_CALL_CND_BROADCAST))
        return F_COND;
    if (c >= LS_CALL_RWLOCK_INIT && c <= LS_CALL_RWLOCK_DESTROY)
        return F_RWLOCK;
    if (c >= LS_CALL_SPIN_INIT && c <= LS_CALL_SPIN_DESTROY)
        return F_SPIN;
    if (c >= LS_CALL_SEM_INIT && c <= LS_CALL_SEM_DESTROY)
        return F_SEM;
    if (c >= LS_CALL_BARRIER_INIT && c <= LS_CALL_BARRIER_DESTROY)
        return F_BARRIER;
    if (c == LS_CALL_ONCE || c == LS_CALL_CALL_ONCE)
        return F_ONCE;
    if (c == LS_CALL_CREATE || c == LS_CALL_THRD_CREATE)
        return F_CREATE;
    if (c == LS_CALL_JOIN || c == LS_CALL_TRYJOIN || c == LS_CALL_TIMEDJOIN ||
        c == LS_CALL_THRD_JOIN)
        return F_JOIN;
    if (c == LS_CALL_DETACH || c == LS_CALL_THRD_DETACH)
        return F_DETACH;
    return F_OTHER;
}

static int timed(uint32_t c)
{
    return c == LS_CALL_MUTEX_TIMEDLOCK || c == LS_CALL_MUTEX_CLOCKLOCK ||
           c == LS_CALL_COND_TIMEDWAIT || c == LS_CALL_COND_CLOCKWAIT ||
           c == LS_CALL_RWLOCK_TIMEDRDLOCK || c == LS_CALL_RWLOCK_TIMEDWRLOCK ||
           c == LS_CALL_RWLOCK_CLOCKRDLOCK || c == LS_CALL_RWLOCK_CLOCKWRLOCK ||
           c == LS_CALL_SEM_TIMEDWAIT || c == LS_CALL_SEM_CLOCKWAIT ||
           c == LS_CALL_MTX_TIMEDLOCK || c == LS_CALL_CND_TIMEDWAIT ||
           c == LS_CALL_TIMEDJOIN;
}

/* What an error of a call means for the program. */
static const char *error_meaning(uint32_t call, int e, int32_t value)
{
    enum family fam = family_of(call);
    (void)value;
    switch (e) {
    case EINVAL:
        if (call == LS_CALL_SEM_INIT)
            return "the initial value is larger than SEM_VALUE_MAX: the semaphore was not "
                   "initialized";
        if (call == LS_CALL_BARRIER_INIT)
            return "the count is 0: the barrier was not initialized";
        if (fam == F_JOIN || fam == F_DETACH)
            return "the thread is not joinable: it was detached, or another thread is "
                   "already joining it";
        if (fam == F_CREATE)
            return "the thread attributes are invalid: the thread was not created";
        if (timed(call))
            return "the timeout is not a valid absolute time (tv_nsec outside "
                   "0..999999999), or the object is not initialized: the call did not wait";
        if (fam == F_COND)
            return "the condition variable or its mutex is not initialized, or other "
                   "threads wait on it with another mutex: the call did not wait";
        return "the object is not initialized (or was destroyed): the call did nothing";
    case EAGAIN:
        if (fam == F_CREATE)
            return "out of resources or at the limit of threads: the thread was not created";
        if (fam == F_RWLOCK)
            return "the maximum number of read locks is held: the lock was not taken";
        if (fam == F_MUTEX)
            return "the recursive mutex's count is at its maximum: the lock was not taken";
        return "a resource ran out: the call did nothing";
    case EDEADLK:
        if (fam == F_JOIN)
            return "the thread joins itself (or two threads join each other): the call "
                   "would never return, so it failed";
        if (fam == F_RWLOCK)
            return "the thread already holds the rwlock for writing: the lock was not "
                   "taken a second time";
        return "the thread would deadlock with itself: the lock was not taken";
    case ESRCH:
        return "no such thread: it was already joined (or never existed)";
    case EPERM:
        if (fam == F_COND)
            return "the mutex is not locked by the calling thread (error-checking mutex): "
                   "the call did not wait";
        if (fam == F_CREATE)
            return "the scheduling attributes are not permitted: the thread was not created";
        return "the calling thread does not own the lock";
    case EBUSY:
        return "the object is in use (locked, waited on): it was not destroyed";
    case EOVERFLOW:
        return "the semaphore's count would exceed SEM_VALUE_MAX: the post was lost";
    case ENOSYS:
    case ENOTSUP:
        return "the system does not support this (a process-shared semaphore): the call "
               "did nothing";
    case ENOMEM:
        return "out of memory: the call did nothing";
    case ENOTRECOVERABLE:
        return "the robust mutex was left unusable (its owner died and nobody called "
               "pthread_mutex_consistent): the lock was not taken";
    default:
        return "the call did not do what the program asked";
    }
}

static int rule_index(uint32_t code)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].code == code)
            return (int)i;
    return -1;
}

const char *ls_misuse_rule_id(uint32_t rule)
{
    int i = rule_index(rule);
    return i >= 0 ? rules[i].id : "unknown";
}

/* What the other thread does with the object, for the reason. */
static const char *other_role(uint32_t rule)
{
    switch (rule) {
    case LS_MISUSE_DESTROY_COND_WAITERS:
    case LS_MISUSE_DESTROY_IN_USE:
        return "waits on it";
    case LS_MISUSE_COND_TWO_MUTEXES:
        return "waits on it with";
    default:
        return "holds it";
    }
}

static char *explain(const struct ls_finding *f, const struct ls_misuse_rec *m)
{
    struct strbuf sb;
    sb_init(&sb);
    ls_thread_label(&sb, f->thread.tid);
    int i = rule_index(m->rule);
    if (i < 0) {
        sb_printf(&sb, " misused a pthread call (rule %u).", m->rule);
        return sb_detach(&sb);
    }
    sb_adds(&sb, " ");
    if (m->rule == LS_MISUSE_CALL_ERROR && f->call) {
        sb_printf(&sb, "calls %s", f->call);
        if (f->nlocks)
            sb_printf(&sb, " on %s", f->locks[0].label);
        if (m->call == LS_CALL_SEM_INIT || m->call == LS_CALL_BARRIER_INIT)
            sb_printf(&sb, " with %u", (unsigned)m->value);
        sb_printf(&sb, ", which returns %s: %s. %s", f->error ? f->error : strerror(m->result),
                  error_meaning(m->call, m->result, m->value), rules[i].why);
        return sb_detach(&sb);
    }
    const char *what = rules[i].what, *mark = strstr(what, "%s");
    const char *label = f->nlocks ? f->locks[0].label : "a lock";
    struct strbuf w;
    sb_init(&w);
    if (mark) {
        sb_add(&w, what, (size_t)(mark - what));
        sb_adds(&w, label);
        sb_adds(&w, mark + 2);
    } else {
        sb_adds(&w, what);
    }
    /* "another thread holds": say which */
    char *text = sb_detach(&w);
    const char *another = m->other_tid ? strstr(text, "another thread") : NULL;
    if (another) {
        sb_add(&sb, text, (size_t)(another - text));
        ls_thread_label(&sb, m->other_tid);
        sb_adds(&sb, another + strlen("another thread"));
    } else {
        sb_adds(&sb, text);
    }
    free(text);
    if (m->result)
        sb_printf(&sb, " (the call returned %s)", f->error ? f->error : strerror(m->result));
    sb_adds(&sb, ".");
    if (m->other_tid && !another) {
        sb_adds(&sb, " ");
        ls_thread_label(&sb, m->other_tid);
        sb_printf(&sb, " %s", other_role(m->rule));
        if (m->rule == LS_MISUSE_COND_TWO_MUTEXES)
            sb_printf(&sb, " %s", f->nlocks > 1 ? f->locks[1].label : "another mutex");
        sb_adds(&sb, ".");
    }
    sb_printf(&sb, " %s", rules[i].why);
    return sb_detach(&sb);
}

/* Where the other side took or waits on the object: "T1 waits on it
 * here" (static strings per rule and thread would not do: interned). */
static const char *other_what(uint32_t rule, uint32_t tid)
{
    static char **interned;
    static size_t ninterned;
    const char *what;
    switch (rule) {
    case LS_MISUSE_DESTROY_COND_WAITERS:
    case LS_MISUSE_DESTROY_IN_USE:
    case LS_MISUSE_COND_TWO_MUTEXES:
        what = "waits on it here";
        break;
    case LS_MISUSE_REINIT_IN_USE:
        what = "took it or waits on it here";
        break;
    default:
        what = "took the lock here";
    }
    struct strbuf sb;
    sb_init(&sb);
    if (tid)
        ls_thread_label(&sb, tid);
    else
        sb_adds(&sb, "the other thread");
    sb_printf(&sb, " %s", what);
    for (size_t i = 0; i < ninterned; i++)
        if (!strcmp(interned[i], sb.buf)) {
            sb_free(&sb);
            return interned[i];
        }
    interned = xrealloc(interned, (ninterned + 1) * sizeof *interned);
    return interned[ninterned++] = sb_detach(&sb);
}

size_t ls_check_misuse(struct ls_process *p, size_t proc, struct ls_report *r)
{
    size_t added = 0, first = r->nfindings;
    for (size_t i = 0; i < p->nmisuses; i++) {
        const struct ls_misuse_rec *m = &p->misuses[i];
        struct ls_finding *f = ls_report_add(r);
        f->kind = LS_FIND_MISUSE;
        f->severity = "warning";
        f->proc = proc;
        f->rule = ls_misuse_rule_id(m->rule);
        f->call = ls_misuse_call_name(m->call);
        f->error = m->result ? ls_errno_name(m->result) : NULL;
        ls_fthread_build(p, m->tid, &f->thread);
        ls_fstack_build(p, m->stack, &f->stack);
        if (m->lock)
            ls_finding_lock(f, p, m->lock);
        if (m->lock2 && m->lock2 != m->lock)
            ls_finding_lock(f, p, m->lock2);
        if (m->other_tid)
            ls_fthread_build(p, m->other_tid, &f->other);
        if (m->other_stack) {
            ls_fstack_build(p, m->other_stack, &f->stack2);
            f->stack2_what = other_what(m->rule, m->other_tid);
        } else if (m->lock_stack) {
            ls_fstack_build(p, m->lock_stack, &f->stack2);
            f->stack2_what = "the thread took the lock here";
        }
        f->summary = ls_fstack_user_frame(&f->stack);
        f->reason = explain(f, m);
        ls_finding_set_id(f);
        /* The same rule at the same place (seen again after fork, say) is
         * one finding. */
        int dup = 0;
        for (size_t j = first; j + 1 < r->nfindings && !dup; j++)
            dup = !strcmp(r->findings[j].id, f->id);
        if (dup) {
            ls_report_pop(r);
            continue;
        }
        added++;
    }
    return added;
}
