/*
 * The record and the warning of a live deadlock or stall (deadlock.c finds
 * them): every member's wait and held locks, from what it published before
 * blocking, and the orphaned locks of the exited threads it waits for.
 */
#define _GNU_SOURCE
#include "hot.h"
#include "deadlock.h"

#include <stdio.h>
#include <string.h>

/* Where t waits: its interned stack (ownerless waits, self-deadlocks), else
 * the raw one it took before blocking. */
static uint32_t wait_stack_of(struct ls_thread *t)
{
    uint32_t st = atomic_load(&t->wait_stack);
    if (st)
        return st;
    uint32_t n = t->wait_nips <= LS_TRACE_MAX_FRAMES ? t->wait_nips : 0;
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    memcpy(ips, t->wait_ips, n * sizeof ips[0]);
    return ls_stack_intern(ips, (int)n);
}

/* Where t took held lock h.  Its stack when one was captured (a new
 * lock-order edge, an ownerless wait); else its call site, with the outer
 * frames of the wait when both are in the same function (the usual "take
 * one lock, then the next" code). */
static uint32_t held_stack_of(struct ls_thread *t, const struct ls_held *h)
{
    if (h->stack && h->stack_gen == ls_file_gen)
        return h->stack;
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    int k = 0;
    ips[k++] = h->ret_ip;
    uint32_t n = t->wait_nips <= LS_TRACE_MAX_FRAMES ? t->wait_nips : 0;
    if (n > 0 && ls_same_function(h->ret_ip, t->wait_ips[0]))
        for (uint32_t i = 1; i < n && k < ls_opt.stack_depth; i++)
            ips[k++] = t->wait_ips[i];
    return ls_stack_intern(ips, k);
}

void ls_deadlock_write_record(struct ls_wait_cycle *c, uint32_t flags, int status)
{
    /* Every member published its wait before blocking; the record is built
     * from what they published (and what the exited holders left). */
    static char buf[LS_TRACE_MAX_RECORD / 4];
    size_t off = 0;
    struct ls_rec_deadlock h = {.nthreads = 0, .flags = flags, .exit_status = status};
    off += sizeof h;
    const struct ls_dead_hold *dead_seen[MAX_CYCLE];
    int ndead_seen = 0;
    for (int i = 0; i < c->n; i++) {
        struct ls_thread *t = c->t[i];
        uint32_t kind = atomic_load(&t->wait_kind);
        uint32_t nheld = t->nheld <= LS_MAX_HELD ? t->nheld : 0;
        const struct ls_dead_hold *d = c->orphan[i];
        struct ls_rec_deadlock_thread dt = {
            .tid = t->tid,
            .wait_kind = kind,
            .wait_lock = t->wait_lk ? ls_lock_id(t->wait_lk) : 0,
            .wait_thread = c->next[i] ? c->next[i]->tid : d ? d->tid : 0,
            .wait_stack = wait_stack_of(t),
            .nheld = nheld,
        };
        if (off + sizeof dt + nheld * sizeof(struct ls_rec_held) > sizeof buf)
            break;
        if (t->wait_lk)
            ls_lock_ensure_written(t->wait_lk);
        memcpy(buf + off, &dt, sizeof dt);
        off += sizeof dt;
        for (uint32_t j = 0; j < nheld; j++) {
            struct ls_rec_held rh = {.lock = t->held[j].id, .stack = held_stack_of(t, &t->held[j])};
            ls_lock_ensure_written(t->held[j].lk);
            memcpy(buf + off, &rh, sizeof rh);
            off += sizeof rh;
        }
        h.nthreads++;
        int seen = 0;
        for (int k = 0; k < ndead_seen && !seen; k++)
            seen = dead_seen[k]->tid == (d ? d->tid : 0);
        if (d && !seen)
            dead_seen[ndead_seen++] = d;
    }
    /* Each exited holder: the orphaned locks it left (all of them). */
    uint32_t nd;
    const struct ls_dead_hold *dead = ls_dead_holds(&nd);
    for (int k = 0; k < ndead_seen; k++) {
        uint32_t nheld = 0;
        for (uint32_t i = 0; i < nd; i++)
            nheld += dead[i].tid == dead_seen[k]->tid;
        struct ls_rec_deadlock_thread dt = {.tid = dead_seen[k]->tid, .wait_kind = LS_WAIT_EXITED,
                                            .nheld = nheld};
        if (off + sizeof dt + nheld * sizeof(struct ls_rec_held) > sizeof buf)
            break;
        memcpy(buf + off, &dt, sizeof dt);
        off += sizeof dt;
        for (uint32_t i = 0; i < nd; i++) {
            if (dead[i].tid != dead_seen[k]->tid)
                continue;
            struct ls_rec_held rh = {.lock = dead[i].lock_id, .stack = dead[i].stack};
            ls_lock_ensure_written(dead[i].lk);
            memcpy(buf + off, &rh, sizeof rh);
            off += sizeof rh;
        }
        h.nthreads++;
    }
    memcpy(buf, &h, sizeof h);
    ls_writer_record(LS_REC_DEADLOCK, buf, off, NULL, 0, NULL, 0);
}

/* Threads are named as in the reports: "the main thread", T1, T2, ... */
static const char *thread_label(const struct ls_thread *t, char *buf, size_t n)
{
    if (!t)
        snprintf(buf, n, "an untraced thread");
    else if (t->tid == 1)
        snprintf(buf, n, "the main thread");
    else
        snprintf(buf, n, "T%u", t->tid - 1);
    return buf;
}

static const char *tid_label(uint32_t tid, char *buf, size_t n)
{
    if (tid == 1)
        snprintf(buf, n, "the main thread");
    else
        snprintf(buf, n, "T%u", tid - 1);
    return buf;
}

static const char *wait_words(uint32_t kind)
{
    switch (kind) {
    case LS_WAIT_JOIN: return "to join";
    case LS_WAIT_LOCK_READ: return "to read-lock a lock held by";
    case LS_WAIT_COND: return "on a condition variable";
    case LS_WAIT_SEM: return "on a semaphore";
    case LS_WAIT_BARRIER: return "at a barrier";
    default: return "for a lock held by";
    }
}

void ls_deadlock_describe(struct ls_wait_cycle *c, uint32_t flags)
{
    char line[1024], a[32], b[64];
    size_t n = 0;
    if (flags & LS_DEADLOCK_SELF) {
        ls_warn("lockscope: self-deadlock: %s locks again a lock it already holds",
                thread_label(c->t[0], a, sizeof a));
        return;
    }
    if (flags & LS_DEADLOCK_FORK_ORPHAN) {
        ls_warn("lockscope: deadlock: %s waits for a lock another thread held when the "
                "process forked; that thread does not exist in this child",
                thread_label(c->t[0], a, sizeof a));
        return;
    }
    for (int i = 0; i < c->n && n < sizeof line - 160; i++) {
        struct ls_thread *t = c->t[i];
        uint32_t kind = atomic_load(&t->wait_kind);
        int owned = kind == LS_WAIT_JOIN || kind == LS_WAIT_LOCK || kind == LS_WAIT_LOCK_READ;
        const char *whom = "";
        if (owned && c->orphan[i]) {
            tid_label(c->orphan[i]->tid, a, sizeof a);
            snprintf(b, sizeof b, "%s (which has exited)", a);
            whom = b;
        } else if (owned) {
            whom = thread_label(c->next[i], b, sizeof b);
        }
        const struct ls_thread *o = c->next[i];
        if (kind == LS_WAIT_LOCK_READ && o && t->wait_lk && o->wait_lk == t->wait_lk &&
            atomic_load(&o->wait_kind) == LS_WAIT_LOCK) {
            /* Not a holder: a writer it queues behind (writer preference). */
            int w = snprintf(line + n, sizeof line - n,
                             "%s%s waits to read-lock a lock, queued behind %s's write request",
                             i ? ", " : "", thread_label(t, a, sizeof a), whom);
            if (w > 0)
                n += (size_t)w;
            continue;
        }
        int w = snprintf(line + n, sizeof line - n, "%s%s waits %s%s%s", i ? ", " : "",
                         thread_label(t, a, sizeof a), wait_words(kind), owned ? " " : "", whom);
        if (w > 0)
            n += (size_t)w;
    }
    ls_warn("lockscope: %s: %s", (flags & LS_DEADLOCK_STALL) ? "stall" : "deadlock", line);
}
