/*
 * Live deadlocks: recognise a deadlock while it happens, report it with
 * every thread's wait and held locks, flush the trace and (by default) end
 * the program instead of letting it hang.
 *
 * Only threads that have to wait pay: the wrapper tries the lock first and
 * calls ls_wait_mutex only when it is busy.  A waiting thread publishes what
 * it waits for, then blocks in slices of deadlock_check_ms; after each slice
 * it follows the wait-for chain (lock -> owner thread -> what that thread
 * waits for ...).  A chain that comes back to the thread is a cycle; it is
 * reported when the same cycle, with the same waits (wait_gen), is seen in
 * two consecutive checks: nobody in it made progress for a whole slice.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 65536
#define MAX_CYCLE 64

static struct ls_thread *_Atomic registry[MAX_THREADS];
static _Atomic uint32_t registry_hint;
static _Atomic int reported;

void ls_registry_add(struct ls_thread *t)
{
    uint32_t start = atomic_fetch_add(&registry_hint, 1);
    for (uint32_t i = 0; i < MAX_THREADS; i++) {
        uint32_t k = (start + i) % MAX_THREADS;
        struct ls_thread *expected = NULL;
        if (atomic_compare_exchange_strong(&registry[k], &expected, t)) {
            t->registry_slot = k + 1;
            return;
        }
    }
    t->registry_slot = 0; /* not found by others: it cannot be part of a reported cycle */
}

void ls_registry_remove(struct ls_thread *t)
{
    if (t->registry_slot) {
        atomic_store(&registry[t->registry_slot - 1], NULL);
        t->registry_slot = 0;
    }
    atomic_store(&t->wait_kind, 0);
}

void ls_registry_after_fork_child(struct ls_thread *self)
{
    for (uint32_t i = 0; i < MAX_THREADS; i++)
        atomic_store_explicit(&registry[i], NULL, memory_order_relaxed);
    atomic_store(&reported, 0);
    if (self)
        ls_registry_add(self);
}

static struct ls_thread *thread_by_os_tid(uint32_t os_tid)
{
    if (!os_tid)
        return NULL;
    for (uint32_t i = 0; i < MAX_THREADS; i++) {
        struct ls_thread *t = atomic_load_explicit(&registry[i], memory_order_acquire);
        if (t && t->os_tid == os_tid)
            return t;
    }
    return NULL;
}

/* Whom t is waiting for right now, or NULL. */
static struct ls_thread *waits_for(struct ls_thread *t)
{
    switch (atomic_load_explicit(&t->wait_kind, memory_order_acquire)) {
    case LS_WAIT_LOCK: {
        /* glibc keeps the owner's kernel thread id in every mutex type. */
        const volatile int *owner = &t->wait_mutex->__data.__owner;
        return thread_by_os_tid((uint32_t)(*owner & 0x3fffffff));
    }
    case LS_WAIT_JOIN:
        return t->wait_thread;
    default:
        return NULL;
    }
}

struct cycle {
    int n;
    struct ls_thread *t[MAX_CYCLE];
    uint32_t gen[MAX_CYCLE];
};

/* The wait-for cycle through `self`, if there is one. */
static int find_cycle(struct ls_thread *self, struct cycle *c)
{
    c->n = 0;
    struct ls_thread *cur = self;
    while (c->n < MAX_CYCLE) {
        c->t[c->n] = cur;
        c->gen[c->n] = atomic_load(&cur->wait_gen);
        c->n++;
        struct ls_thread *next = waits_for(cur);
        if (!next)
            return 0;
        if (next == self)
            return 1;
        for (int i = 1; i < c->n; i++)
            if (c->t[i] == next)
                return 0; /* a cycle not through self: its members report it */
        cur = next;
    }
    return 0;
}

static int same_cycle(const struct cycle *a, const struct cycle *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->t[i] != b->t[i] || a->gen[i] != b->gen[i])
            return 0;
    return 1;
}

static void write_record(struct cycle *c, uint32_t flags, int status)
{
    /* Every member publishes its stacks after its first slice; the record is
     * built from what they published. */
    static char buf[LS_TRACE_MAX_RECORD / 4];
    size_t off = 0;
    struct ls_rec_deadlock h = {.nthreads = (uint32_t)c->n, .flags = flags, .exit_status = status};
    memcpy(buf, &h, sizeof h);
    off += sizeof h;
    for (int i = 0; i < c->n; i++) {
        struct ls_thread *t = c->t[i];
        struct ls_thread *next = (flags & LS_DEADLOCK_SELF) ? t : waits_for(t);
        uint32_t kind = atomic_load(&t->wait_kind);
        struct ls_rec_deadlock_thread dt = {
            .tid = t->tid,
            .wait_kind = kind,
            .wait_lock = kind == LS_WAIT_LOCK && t->wait_lk ? ls_lock_id(t->wait_lk) : 0,
            .wait_thread = next ? next->tid : 0,
            .wait_stack = atomic_load(&t->wait_stack),
            .nheld = t->nheld,
        };
        if (off + sizeof dt + t->nheld * sizeof(struct ls_rec_held) > sizeof buf)
            break;
        if (t->wait_lk)
            ls_lock_ensure_written(t->wait_lk);
        memcpy(buf + off, &dt, sizeof dt);
        off += sizeof dt;
        for (uint32_t j = 0; j < t->nheld; j++) {
            struct ls_rec_held rh = {.lock = t->held[j].id, .stack = t->held[j].stack};
            ls_lock_ensure_written(t->held[j].lk);
            memcpy(buf + off, &rh, sizeof rh);
            off += sizeof rh;
        }
    }
    ls_writer_record(LS_REC_DEADLOCK, buf, off, NULL, 0, NULL, 0);
}

/* Threads are named as in the reports: "main thread", T1, T2, ... */
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

static void describe(struct cycle *c, int self)
{
    char line[1024], a[32], b[32];
    size_t n = 0;
    if (self) {
        ls_warn("lockscope: self-deadlock: %s locks a mutex it already holds",
                thread_label(c->t[0], a, sizeof a));
        return;
    }
    for (int i = 0; i < c->n && n < sizeof line - 128; i++) {
        struct ls_thread *t = c->t[i];
        int join = atomic_load(&t->wait_kind) == LS_WAIT_JOIN;
        int w = snprintf(line + n, sizeof line - n, "%s%s waits %s %s", i ? ", " : "",
                         thread_label(t, a, sizeof a),
                         join ? "to join" : "for a lock held by",
                         thread_label(waits_for(t), b, sizeof b));
        if (w > 0)
            n += (size_t)w;
    }
    ls_warn("lockscope: deadlock: %s", line);
}

/* Called once a cycle is confirmed; does not return when ending the program. */
static void handle(struct cycle *c, uint32_t flags)
{
    if (atomic_exchange(&reported, 1))
        return; /* another member reported this deadlock */
    int end = ls_opt.deadlock == 2;
    int status = end ? ls_opt.deadlock_exitcode : -1;
    write_record(c, flags | (end ? LS_DEADLOCK_ENDED : 0), status);
    describe(c, (flags & LS_DEADLOCK_SELF) != 0);
    if (!end) {
        ls_writer_flush();
        return;
    }
    ls_warn("lockscope: ending the program with status %d (LOCKSCOPE_OPTIONS=deadlock=report "
            "keeps it waiting)",
            status);
    ls_writer_end(status, 0);
    _exit(status);
}

static void publish_stacks(struct ls_thread *t)
{
    if (atomic_load(&t->wait_stack))
        return;
    ls_guard++;
    uint32_t st = ls_capture_wait_stacks(t);
    ls_guard--;
    atomic_store_explicit(&t->wait_stack, st ? st : 1, memory_order_release);
}

static int members_published(const struct cycle *c)
{
    for (int i = 0; i < c->n; i++)
        if (!atomic_load_explicit(&c->t[i]->wait_stack, memory_order_acquire))
            return 0;
    return 1;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* One slice has passed: look for a cycle through t, confirm it on the next. */
static void after_slice(struct ls_thread *t, struct cycle *prev)
{
    publish_stacks(t);
    struct cycle c;
    if (!find_cycle(t, &c)) {
        prev->n = 0;
        return;
    }
    if (same_cycle(&c, prev) && members_published(&c)) {
        handle(&c, 0);
        prev->n = 0;
        return;
    }
    *prev = c;
}

static void begin_wait(struct ls_thread *t, uint32_t kind)
{
    atomic_store(&t->wait_stack, 0);
    atomic_fetch_add(&t->wait_gen, 1);
    atomic_store_explicit(&t->wait_kind, kind, memory_order_release);
}

int ls_wait_mutex(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m)
{
    if (!ls_opt.deadlock || !ls_real.mutex_clocklock)
        return ls_real.mutex_lock(m);
    t->wait_lk = lk;
    t->wait_mutex = m;
    begin_wait(t, LS_WAIT_LOCK);
    struct cycle prev = {0};
    int r;
    for (;;) {
        struct timespec ts;
        deadline_in(&ts, ls_opt.deadlock_check_ms);
        r = ls_real.mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
        if (r != ETIMEDOUT)
            break;
        after_slice(t, &prev);
    }
    atomic_store_explicit(&t->wait_kind, 0, memory_order_release);
    return r;
}

int ls_wait_join(struct ls_thread *t, struct ls_thread *child, pthread_t th, void **ret)
{
    if (!ls_opt.deadlock || !child || !ls_real.clockjoin_np)
        return ls_real.join(th, ret);
    t->wait_thread = child;
    begin_wait(t, LS_WAIT_JOIN);
    struct cycle prev = {0};
    int r;
    for (;;) {
        struct timespec ts;
        deadline_in(&ts, ls_opt.deadlock_check_ms);
        r = ls_real.clockjoin_np(th, ret, CLOCK_MONOTONIC, &ts);
        if (r != ETIMEDOUT)
            break;
        after_slice(t, &prev);
    }
    atomic_store_explicit(&t->wait_kind, 0, memory_order_release);
    return r;
}

void ls_self_deadlock(struct ls_thread *t, struct ls_lock *lk)
{
    if (!ls_opt.deadlock)
        return;
    t->wait_lk = lk;
    begin_wait(t, LS_WAIT_LOCK);
    publish_stacks(t);
    struct cycle c = {.n = 1};
    c.t[0] = t;
    c.gen[0] = atomic_load(&t->wait_gen);
    handle(&c, LS_DEADLOCK_SELF);
    atomic_store(&t->wait_kind, 0);
}
