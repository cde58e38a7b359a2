/*
 * Live deadlocks: the shim saw threads wait for each other and recorded
 * who waits for what and holds what.  Each record becomes one finding; a
 * lock-order cycle over the same locks is linked to it.
 */
#define _GNU_SOURCE
#include "deadlock.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *wait_name(uint32_t kind)
{
    switch (kind) {
    case LS_WAIT_JOIN: return "join";
    case LS_WAIT_LOCK_READ: return "read-lock";
    case LS_WAIT_COND: return "condvar";
    case LS_WAIT_SEM: return "semaphore";
    case LS_WAIT_BARRIER: return "barrier";
    case LS_WAIT_EXITED: return "exited";
    default: return "lock";
    }
}

static char *explain(const struct ls_finding *f)
{
    struct strbuf sb;
    sb_init(&sb);
    if (f->fork_orphan && f->nwaiters > 0) {
        const struct ls_fwaiter *w = &f->waiters[0];
        ls_thread_label(&sb, w->thread.tid);
        sb_printf(&sb, " waits for %s, which another thread held when the process forked: "
                       "fork copies only the forking thread, so in this child nobody will "
                       "ever release it.",
                  w->lock < f->nlocks ? f->locks[w->lock].label : "a lock");
    } else if (f->self && f->nwaiters > 0) {
        const struct ls_fwaiter *w = &f->waiters[0];
        ls_thread_label(&sb, w->thread.tid);
        if (w->lock < f->nlocks)
            sb_printf(&sb, " asks for %s (a %s) while it already holds it: the lock does not "
                           "let its holder in again, so the thread waits for itself forever.",
                      f->locks[w->lock].label, f->locks[w->lock].kind);
        else
            sb_adds(&sb, " asks again for a lock it already holds, and waits for itself "
                         "forever.");
    } else {
        for (size_t i = 0; i < f->nwaiters; i++) {
            const struct ls_fwaiter *w = &f->waiters[i];
            if (i)
                sb_adds(&sb, i + 1 == f->nwaiters ? ", and " : ", ");
            ls_thread_label(&sb, w->thread.tid);
            ls_describe_wait(&sb, f, w);
        }
        if (f->kind == LS_FIND_STALL && f->orphan)
            sb_adds(&sb, ". A lock waited for belongs to a thread that has exited without "
                         "releasing it, and every other thread is blocked: nobody will ever "
                         "release it.");
        else if (f->kind == LS_FIND_STALL)
            sb_adds(&sb, ". Every thread of the process is blocked, and none of these waits "
                         "can end unless another thread acts: nothing ever will.");
        else
            sb_adds(&sb, ". None of them can go on, so none will ever release what the "
                         "others wait for.");
    }
    if (f->ended)
        sb_printf(&sb, " lockscope ended the program with status %d.", f->exit_status);
    return sb_detach(&sb);
}

static void add_finding(struct ls_process *p, size_t proc, struct ls_report *r,
                        const struct ls_deadlock *d)
{
    struct ls_finding *f = ls_report_add(r);
    f->kind = (d->flags & LS_DEADLOCK_STALL) ? LS_FIND_STALL : LS_FIND_DEADLOCK;
    f->severity = "error";
    f->proc = proc;
    f->self = (d->flags & LS_DEADLOCK_SELF) != 0;
    f->fork_orphan = (d->flags & LS_DEADLOCK_FORK_ORPHAN) != 0;
    f->orphan = (d->flags & LS_DEADLOCK_ORPHAN) != 0;
    f->ended = (d->flags & LS_DEADLOCK_ENDED) != 0;
    f->exit_status = d->exit_status;
    f->nwaiters = d->nthreads;
    f->waiters = xcalloc(d->nthreads, sizeof *f->waiters);
    for (uint32_t i = 0; i < d->nthreads; i++) {
        const struct ls_deadlock_thread *dt = &d->threads[i];
        struct ls_fwaiter *w = &f->waiters[i];
        ls_fthread_build(p, dt->tid, &w->thread);
        w->join = dt->wait_kind == LS_WAIT_JOIN;
        w->wait = wait_name(dt->wait_kind);
        w->lock = dt->wait_lock ? ls_finding_lock(f, p, dt->wait_lock) : SIZE_MAX;
        w->waits_on = dt->wait_thread;
        ls_fstack_build(p, dt->wait_stack, &w->wait_stack);
        w->nheld = dt->nheld;
        w->held = xcalloc(dt->nheld + 1, sizeof *w->held);
        for (uint32_t j = 0; j < dt->nheld; j++) {
            w->held[j].lock = ls_finding_lock(f, p, dt->held[j].lock);
            ls_fstack_build(p, dt->held[j].stack, &w->held[j].stack);
        }
    }
    f->summary = f->nwaiters ? ls_fstack_user_frame(&f->waiters[0].wait_stack) : NULL;
    f->reason = explain(f);
    ls_finding_set_id(f);
}

size_t ls_check_deadlocks(struct ls_process *p, size_t proc, struct ls_report *r)
{
    for (size_t i = 0; i < p->ndeadlocks; i++)
        add_finding(p, proc, r, &p->deadlocks[i]);
    return p->ndeadlocks;
}

static int has_lock(const struct ls_finding *f, uint32_t id)
{
    for (size_t i = 0; i < f->nlocks; i++)
        if (f->locks[i].id == id)
            return 1;
    return 0;
}

void ls_link_deadlocks(struct ls_report *r, size_t first)
{
    for (size_t i = first; i < r->nfindings; i++) {
        struct ls_finding *d = &r->findings[i];
        if (d->kind != LS_FIND_DEADLOCK || d->self)
            continue;
        for (size_t j = first; j < r->nfindings; j++) {
            struct ls_finding *c = &r->findings[j];
            if (c->kind != LS_FIND_LOCK_ORDER || c->proc != d->proc)
                continue;
            int all = 1;
            for (size_t k = 0; k < d->nwaiters && all; k++)
                all = d->waiters[k].lock == SIZE_MAX ||
                      has_lock(c, d->locks[d->waiters[k].lock].id);
            if (!all)
                continue;
            memcpy(d->related, c->id, sizeof d->related);
            memcpy(c->related, d->id, sizeof c->related);
            break;
        }
    }
}
