/*
 * Live deadlocks: recognise a deadlock while it happens, report it with
 * every thread's wait and held locks, flush the trace and (by default) end
 * the program instead of letting it hang.
 *
 * Only threads that have to wait pay: a wrapper tries first and publishes a
 * wait (ls_wait_begin) only when it must block.  Threads waiting for
 * something with an owner (a lock, a join) block in slices of
 * deadlock_check_ms and, after each slice, search the wait-for graph for a
 * cycle through themselves (lock -> the threads holding it -> what they wait
 * for ...).  A cycle is reported when the same cycle, with the same waits
 * (wait_gen), is found in two consecutive checks: nobody in it moved for a
 * whole slice.
 *
 * Waits without an owner (condition variables, semaphores, barriers) cannot
 * form such cycles; they are not sliced (a sliced condvar wait could lose a
 * wakeup).  A watchdog thread, started the first time such a wait happens,
 * looks for stalls: every traced thread blocked, none moving for stall_ms.
 */
#define _GNU_SOURCE
#include "hot.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 65536
#define MAX_CYCLE 64
#define MAX_BLOCKERS 16

static struct ls_thread *_Atomic registry[MAX_THREADS];
static _Atomic uint32_t registry_used; /* slots below this may be in use */
static struct ls_spin registry_spin;
static _Atomic int reported;
_Atomic uint32_t ls_live_count;

void ls_registry_add(struct ls_thread *t)
{
    ls_spin_lock(&registry_spin);
    uint32_t used = atomic_load(&registry_used);
    for (uint32_t k = 0; k < MAX_THREADS; k++) {
        if (atomic_load_explicit(&registry[k], memory_order_relaxed) == NULL) {
            atomic_store(&registry[k], t);
            atomic_fetch_add(&ls_live_count, 1);
            t->registry_slot = k + 1;
            if (k + 1 > used)
                atomic_store(&registry_used, k + 1);
            ls_spin_unlock(&registry_spin);
            return;
        }
    }
    ls_spin_unlock(&registry_spin);
    t->registry_slot = 0; /* unseen by the others: never part of a reported cycle */
}

void ls_registry_remove(struct ls_thread *t)
{
    atomic_store(&t->wait_kind, 0);
    if (t->registry_slot) {
        atomic_store(&registry[t->registry_slot - 1], NULL);
        atomic_fetch_sub(&ls_live_count, 1);
        t->registry_slot = 0;
    }
}

void ls_registry_after_fork_child(struct ls_thread *self)
{
    uint32_t used = atomic_load(&registry_used);
    for (uint32_t i = 0; i < used; i++)
        atomic_store_explicit(&registry[i], NULL, memory_order_relaxed);
    atomic_store(&registry_used, 0);
    atomic_store(&ls_live_count, 0);
    registry_spin.v = 0;
    atomic_store(&reported, 0);
    if (self)
        ls_registry_add(self);
}

#define FOR_EACH_THREAD(var)                                                        \
    for (uint32_t i_ = 0, n_ = atomic_load(&registry_used); i_ < n_; i_++)         \
        for (struct ls_thread *var = atomic_load_explicit(&registry[i_], memory_order_acquire); \
             var; var = NULL)

void ls_rings_drain_all(int settle)
{
    /* Another thread's access can be visible (it set the flag we exit on)
     * before its trap handler has recorded it: with other threads alive,
     * give their handlers a moment to run and finish. */
    if (settle && atomic_load(&ls_live_count) > 1) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    FOR_EACH_THREAD(t) {
        for (int i = 0; i < 10000 && atomic_load(&t->in_trap); i++)
            sched_yield();
        ls_ring_drain(t);
    }
}

static struct ls_thread *thread_by_os_tid(uint32_t os_tid)
{
    if (!os_tid)
        return NULL;
    FOR_EACH_THREAD(t)
        if (t->os_tid == os_tid)
            return t;
    return NULL;
}

/* 1 if t holds lock lk (in any mode), 2 if for reading. */
static int holds(const struct ls_thread *t, const struct ls_lock *lk)
{
    uint32_t n = t->nheld;
    if (n > LS_MAX_HELD)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (t->held[i].lk == lk)
            return t->held[i].read ? 2 : 1;
    return 0;
}

/* The threads that t waits for right now.  Other threads' held stacks are
 * read without a lock: what matters is stable only while those threads are
 * blocked themselves, and a cycle is confirmed twice before it counts. */
static int blockers(struct ls_thread *t, struct ls_thread **out)
{
    int n = 0;
    uint32_t kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
    struct ls_lock *lk = t->wait_lk;
    switch (kind) {
    case LS_WAIT_JOIN:
        if (t->wait_thread)
            out[n++] = t->wait_thread;
        return n;
    case LS_WAIT_LOCK:
    case LS_WAIT_LOCK_READ:
        if (!lk)
            return 0;
        /* A Python lock turned signal has no holder to wait for. */
        if (ls_lock_is_py(lk) && atomic_load(&lk->py) != LS_PYSEM_LOCK)
            return 0;
        if (lk->kind == LS_LOCK_MUTEX || lk->kind == LS_LOCK_MUTEX_RECURSIVE ||
            lk->kind == LS_LOCK_MUTEX_ERRORCHECK) {
            /* glibc keeps the owner's kernel thread id in every mutex type. */
            const volatile int *owner = &((const pthread_mutex_t *)t->wait_obj)->__data.__owner;
            struct ls_thread *o = thread_by_os_tid((uint32_t)(*owner & 0x3fffffff));
            if (o && o != t)
                out[n++] = o;
            return n;
        }
        /* rwlocks and spinlocks: whoever holds it in a conflicting mode.  A
         * reader is not blocked by other readers (glibc's default rwlock
         * prefers readers). */
        FOR_EACH_THREAD(o) {
            if (o == t || n == MAX_BLOCKERS)
                continue;
            int h = holds(o, lk);
            if (h == 1 || (h == 2 && kind == LS_WAIT_LOCK))
                out[n++] = o;
        }
        return n;
    default:
        return 0;
    }
}

struct cycle {
    int n;
    struct ls_thread *t[MAX_CYCLE];
    struct ls_thread *next[MAX_CYCLE]; /* whom t[i] waits for in this cycle */
    uint32_t gen[MAX_CYCLE];
};

/* Depth-first search of the wait-for graph for a path from `cur` back to
 * c->t[0]. */
static int dfs(struct cycle *c, struct ls_thread *cur, int depth)
{
    c->t[depth] = cur;
    c->gen[depth] = atomic_load(&cur->wait_gen);
    if (depth + 1 >= MAX_CYCLE)
        return 0;
    struct ls_thread *b[MAX_BLOCKERS];
    int nb = blockers(cur, b);
    for (int i = 0; i < nb; i++) {
        c->next[depth] = b[i];
        if (b[i] == c->t[0]) {
            c->n = depth + 1;
            return 1;
        }
        int seen = 0;
        for (int j = 1; j <= depth && !seen; j++)
            seen = c->t[j] == b[i];
        if (!seen && dfs(c, b[i], depth + 1))
            return 1;
    }
    return 0;
}

static int find_cycle(struct ls_thread *self, struct cycle *c)
{
    c->n = 0;
    c->t[0] = self;
    return dfs(c, self, 0);
}

static int same_cycle(const struct cycle *a, const struct cycle *b)
{
    if (a->n != b->n || a->n == 0)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->t[i] != b->t[i] || a->gen[i] != b->gen[i])
            return 0;
    return 1;
}

static void write_record(struct cycle *c, uint32_t flags, int status)
{
    /* Every member published its stacks when it started waiting or after its
     * first slice; the record is built from what they published. */
    static char buf[LS_TRACE_MAX_RECORD / 4];
    size_t off = 0;
    struct ls_rec_deadlock h = {.nthreads = 0, .flags = flags, .exit_status = status};
    off += sizeof h;
    for (int i = 0; i < c->n; i++) {
        struct ls_thread *t = c->t[i];
        uint32_t kind = atomic_load(&t->wait_kind);
        uint32_t nheld = t->nheld <= LS_MAX_HELD ? t->nheld : 0;
        struct ls_rec_deadlock_thread dt = {
            .tid = t->tid,
            .wait_kind = kind,
            .wait_lock = t->wait_lk ? ls_lock_id(t->wait_lk) : 0,
            .wait_thread = c->next[i] ? c->next[i]->tid : 0,
            .wait_stack = atomic_load(&t->wait_stack),
            .nheld = nheld,
        };
        if (off + sizeof dt + nheld * sizeof(struct ls_rec_held) > sizeof buf)
            break;
        if (t->wait_lk)
            ls_lock_ensure_written(t->wait_lk);
        memcpy(buf + off, &dt, sizeof dt);
        off += sizeof dt;
        for (uint32_t j = 0; j < nheld; j++) {
            struct ls_rec_held rh = {.lock = t->held[j].id, .stack = t->held[j].stack};
            ls_lock_ensure_written(t->held[j].lk);
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

static void describe(struct cycle *c, uint32_t flags)
{
    char line[1024], a[32], b[32];
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
    for (int i = 0; i < c->n && n < sizeof line - 128; i++) {
        struct ls_thread *t = c->t[i];
        uint32_t kind = atomic_load(&t->wait_kind);
        int owned = kind == LS_WAIT_JOIN || kind == LS_WAIT_LOCK || kind == LS_WAIT_LOCK_READ;
        int w = snprintf(line + n, sizeof line - n, "%s%s waits %s%s%s", i ? ", " : "",
                         thread_label(t, a, sizeof a), wait_words(kind), owned ? " " : "",
                         owned ? thread_label(c->next[i], b, sizeof b) : "");
        if (w > 0)
            n += (size_t)w;
    }
    ls_warn("lockscope: %s: %s", (flags & LS_DEADLOCK_STALL) ? "stall" : "deadlock", line);
}

/* Called once a deadlock is confirmed; does not return when ending the
 * program. */
static void handle(struct cycle *c, uint32_t flags)
{
    if (atomic_exchange(&reported, 1))
        return; /* reported already (by another member) */
    int end = ls_opt.deadlock == 2;
    int status = end ? ls_opt.deadlock_exitcode : -1;
    write_record(c, flags | (end ? LS_DEADLOCK_ENDED : 0), status);
    describe(c, flags);
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
    if (atomic_load(&t->wait_published))
        return;
    ls_guard++;
    uint32_t st = ls_capture_wait_stacks(t);
    ls_guard--;
    atomic_store(&t->wait_stack, st);
    atomic_store_explicit(&t->wait_published, 1, memory_order_release);
}

static int members_published(const struct cycle *c)
{
    for (int i = 0; i < c->n; i++)
        if (!atomic_load_explicit(&c->t[i]->wait_published, memory_order_acquire))
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

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- stalls ------------------------------------------------------------ */

/* Every traced thread blocked since at least stall_ms ago. */
static int find_stall(struct cycle *c)
{
    uint64_t now = mono_ms();
    c->n = 0;
    int any_ownerless = 0;
    FOR_EACH_THREAD(t) {
        uint32_t kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
        uint64_t since = t->wait_since_ms;
        if (!kind || !since || now - since < (uint64_t)ls_opt.stall_ms)
            return 0;
        any_ownerless |= kind == LS_WAIT_COND || kind == LS_WAIT_SEM || kind == LS_WAIT_BARRIER;
        if (c->n < MAX_CYCLE) {
            c->t[c->n] = t;
            c->gen[c->n] = atomic_load(&t->wait_gen);
            struct ls_thread *b[MAX_BLOCKERS];
            c->next[c->n] = blockers(t, b) > 0 ? b[0] : NULL;
            c->n++;
        }
    }
    /* Without an ownerless wait, the lock waiters find the cycle themselves. */
    return c->n > 0 && any_ownerless;
}

static pthread_t watchdog;
static _Atomic int watchdog_started;

static void *watchdog_main(void *arg)
{
    ls_guard = 1; /* nothing this thread does is the program's */
    struct cycle prev = {0}, c;
    for (;;) {
        struct timespec ts = {ls_opt.deadlock_check_ms / 1000,
                              (long)(ls_opt.deadlock_check_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        /* The program's last thread has ended (it called pthread_exit, or a
         * forked thread returned): the process ends when its last thread
         * does, and this one must not keep it alive. */
        if (atomic_load(&ls_live_count) == 0)
            return arg;
        if (!atomic_load(&ls_active) || atomic_load(&reported))
            continue;
        if (!find_stall(&c)) {
            prev.n = 0;
            continue;
        }
        if (same_cycle(&c, &prev) && members_published(&c))
            handle(&c, LS_DEADLOCK_STALL);
        prev = c;
    }
    return arg;
}

static void start_watchdog(void)
{
    if (atomic_exchange(&watchdog_started, 1) || !ls_real.create)
        return;
    /* All signals blocked: the program's signals must reach its own threads. */
    sigset_t all, old;
    sigfillset(&all);
    ls_guard++; /* our own mask: not the program's, whatever it contains */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    ls_guard++;
    if (ls_real.create(&watchdog, &a, watchdog_main, NULL) != 0)
        atomic_store(&watchdog_started, 0);
    ls_guard--;
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ls_guard--;
}

void ls_deadlock_after_fork_child(void)
{
    atomic_store(&watchdog_started, 0); /* the watchdog did not survive the fork */
}

/* ---- waits ------------------------------------------------------------- */

void ls_wait_begin(struct ls_thread *t, uint32_t kind, struct ls_lock *lk, const void *obj,
                   struct ls_thread *other)
{
    t->wait_lk = lk;
    t->wait_obj = obj;
    t->wait_thread = other;
    int ownerless = kind == LS_WAIT_COND || kind == LS_WAIT_SEM || kind == LS_WAIT_BARRIER;
    /* A sliced wait notes its start at its first slice: no clock read for
     * the waits that end quickly (most of them). */
    t->wait_since_ms = ownerless ? mono_ms() : 0;
    atomic_store(&t->wait_stack, 0);
    atomic_store(&t->wait_published, 0);
    atomic_fetch_add(&t->wait_gen, 1);
    atomic_store_explicit(&t->wait_kind, kind, memory_order_release);
    if (kind == LS_WAIT_COND || kind == LS_WAIT_SEM || kind == LS_WAIT_BARRIER) {
        /* Nobody can look at this wait from inside it: publish now. */
        if (ls_opt.deadlock && ls_opt.stall_ms > 0) {
            publish_stacks(t);
            start_watchdog();
        }
    }
}

void ls_wait_end(struct ls_thread *t)
{
    atomic_store_explicit(&t->wait_kind, 0, memory_order_release);
}

/* ---- fork: locks the child can never get --------------------------------
 * fork copies only the forking thread; a lock another thread held at that
 * moment stays locked in the child forever. */
#define MAX_ORPHANS 256
static struct ls_lock *orphans[MAX_ORPHANS];
static int norphans;

void ls_deadlock_before_fork(struct ls_thread *self)
{
    norphans = 0;
    FOR_EACH_THREAD(t) {
        if (t == self)
            continue;
        uint32_t n = t->nheld <= LS_MAX_HELD ? t->nheld : 0;
        for (uint32_t i = 0; i < n && norphans < MAX_ORPHANS; i++)
            if (!t->held[i].read)
                orphans[norphans++] = t->held[i].lk;
    }
}

void ls_deadlock_after_fork_parent(void)
{
    norphans = 0;
}

static int orphaned(const struct ls_lock *lk)
{
    for (int i = 0; i < norphans; i++)
        if (orphans[i] == lk)
            return 1;
    return 0;
}

void ls_wait_slice(struct ls_thread *t, struct ls_wait_state *st)
{
    if (!t->wait_since_ms)
        t->wait_since_ms = mono_ms() - (uint64_t)ls_opt.deadlock_check_ms;
    publish_stacks(t);
    if (norphans && t->wait_lk && orphaned(t->wait_lk)) {
        struct cycle c = {.n = 1};
        c.t[0] = t;
        c.next[0] = NULL;
        c.gen[0] = atomic_load(&t->wait_gen);
        handle(&c, LS_DEADLOCK_FORK_ORPHAN);
        return;
    }
    struct cycle c;
    if (!find_cycle(t, &c)) {
        st->n = 0;
        st->an = 0;
        return;
    }
    /* Any thread may release a Python lock: a cycle through one is a
     * deadlock only once no thread is left to do it. */
    int py = 0;
    for (int i = 0; i < c.n; i++)
        py |= c.t[i]->wait_lk && ls_lock_is_py(c.t[i]->wait_lk);
    int others_stuck = py ? ls_all_blocked(st) : 1;
    if (st->n == c.n && members_published(&c) && others_stuck) {
        int same = 1;
        for (int i = 0; i < c.n && same; i++)
            same = st->t[i] == c.t[i] && st->gen[i] == c.gen[i];
        if (same) {
            handle(&c, 0);
            st->n = 0;
            return;
        }
    }
    st->n = c.n < LS_WAIT_STATE_MAX ? c.n : 0;
    for (int i = 0; i < st->n; i++) {
        st->t[i] = c.t[i];
        st->gen[i] = c.gen[i];
    }
}

int ls_all_blocked(struct ls_wait_state *st)
{
    int n = 0, same = st->an > 0;
    FOR_EACH_THREAD(o) {
        if (!atomic_load_explicit(&o->wait_kind, memory_order_acquire) || n == LS_WAIT_STATE_MAX) {
            st->an = 0;
            return 0;
        }
        uint32_t g = atomic_load(&o->wait_gen);
        if (same && (n >= st->an || st->at[n] != o || st->agen[n] != g))
            same = 0;
        st->at[n] = o;
        st->agen[n] = g;
        n++;
    }
    if (n != st->an)
        same = 0;
    st->an = n;
    return same && n > 0;
}

void ls_wait_deadline(struct timespec *ts)
{
    deadline_in(ts, ls_opt.deadlock_check_ms);
}

int ls_wait_mutex(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m)
{
    if (!ls_opt.deadlock || !ls_real.mutex_clocklock) {
        uint64_t t0 = ls_mono_ns();
        int r = ls_real.mutex_lock(m);
        t->last_wait_ns = ls_mono_ns() - t0 + 1;
        return r;
    }
    ls_wait_begin(t, LS_WAIT_LOCK, lk, m, NULL);
    uint64_t t0 = ls_mono_ns(), next = t0;
    struct ls_wait_state st = {0};
    int r;
    for (;;) {
        /* The first deadline comes from t0: one clock read less. */
        next += (uint64_t)ls_opt.deadlock_check_ms * 1000000u;
        struct timespec ts = {(time_t)(next / 1000000000u), (long)(next % 1000000000u)};
        r = ls_real.mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
        if (r != ETIMEDOUT)
            break;
        ls_wait_slice(t, &st);
    }
    ls_wait_end(t);
    t->last_wait_ns = ls_mono_ns() - t0 + 1;
    return r;
}

int ls_wait_join(struct ls_thread *t, struct ls_thread *child, pthread_t th, void **ret)
{
    if (!ls_opt.deadlock || !child || !ls_real.clockjoin_np)
        return ls_real.join(th, ret);
    ls_wait_begin(t, LS_WAIT_JOIN, NULL, NULL, child);
    struct ls_wait_state st = {0};
    int r;
    for (;;) {
        struct timespec ts;
        ls_wait_deadline(&ts);
        r = ls_real.clockjoin_np(th, ret, CLOCK_MONOTONIC, &ts);
        if (r != ETIMEDOUT)
            break;
        ls_wait_slice(t, &st);
    }
    ls_wait_end(t);
    return r;
}

void ls_self_deadlock(struct ls_thread *t, struct ls_lock *lk, const void *obj, uint32_t kind)
{
    if (!ls_opt.deadlock)
        return;
    ls_wait_begin(t, kind, lk, obj, t);
    publish_stacks(t);
    struct cycle c = {.n = 1};
    c.t[0] = t;
    c.next[0] = t;
    c.gen[0] = atomic_load(&t->wait_gen);
    handle(&c, LS_DEADLOCK_SELF);
    ls_wait_end(t);
}
