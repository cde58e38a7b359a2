#define _GNU_SOURCE
#include "misuse.h"
#include "util.h"

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
     "The call failed (EINVAL: not an initialized object; EAGAIN: recursion limit; "
     "ENOTRECOVERABLE: a robust mutex left inconsistent): code that does not check the result "
     "goes on as if it had the lock."},
};

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
    const char *what = rules[i].what, *mark = strstr(what, "%s");
    if (mark) {
        sb_add(&sb, what, (size_t)(mark - what));
        sb_adds(&sb, f->nlocks ? f->locks[0].label : "a lock");
        sb_adds(&sb, mark + 2);
    } else {
        sb_adds(&sb, what);
    }
    if (m->result)
        sb_printf(&sb, " (the call returned %s)", strerror(m->result));
    sb_printf(&sb, ". %s", rules[i].why);
    return sb_detach(&sb);
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
        ls_fthread_build(p, m->tid, &f->thread);
        ls_fstack_build(p, m->stack, &f->stack);
        if (m->lock) {
            f->locks = xcalloc(1, sizeof *f->locks);
            f->nlocks = 1;
            ls_flock_build(p, m->lock, &f->locks[0]);
        }
        if (m->lock_stack) {
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
