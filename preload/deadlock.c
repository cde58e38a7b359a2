/*
 * Live deadlocks: recognise a deadlock while it happens, report it with
 * every thread's wait and held locks, flush the trace and (by default) end
 * the program instead of letting it hang.
 *
 * Only threads that have to wait pay: a wrapper tries first and publishes a
 * wait (ls_wait_begin) only when it must block, then blocks in the real
 * call, exactly as it would natively: no timed slices, which would give up
 * the thread's place (a writer-preferring rwlock's waiting writer lets the
 * readers in again when it times out) and change who is woken.  Publishing
 * costs no syscall and takes no lock: a few stores and a raw backtrace.
 *
 * A watchdog thread, started by the first wait, looks every
 * deadlock_check_ms at what the waiting threads published:
 *  - a cycle in the wait-for graph (lock -> the threads holding it, or the
 *    writers queued before a reader on a writer-preferring rwlock -> what
 *    they wait for ...) is reported when it is found in two consecutive
 *    checks with the same waits (wait_gen): nobody in it moved meanwhile;
 *  - a stall: every traced thread blocked, either for stall_ms with one of
 *    them in a wait without an owner (condvar, semaphore, barrier), or, with
 *    lock and join waits only, for two checks when a lock waited for belongs
 *    to a thread that has exited (an orphaned lock: nobody can release it).
 * A timed wait counts as blocked for good only while its deadline is more
 * than LS_TIMED_FOREVER_MS away: a timed lock that gives up and backs off
 * is how programs avoid deadlocks, never one.
 */
#define _GNU_SOURCE
#include "hot.h"
#include "deadlock.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 65536
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

static void note_dead_holds(struct ls_thread *t);

void ls_registry_remove(struct ls_thread *t)
{
    atomic_store(&t->wait_kind, 0);
    note_dead_holds(t);
    if (t->registry_slot) {
        atomic_store(&registry[t->registry_slot - 1], NULL);
        atomic_fetch_sub(&ls_live_count, 1);
        t->registry_slot = 0;
    }
}

void ls_registry_each(struct ls_thread *self,
                      void (*fn)(struct ls_thread *self, const struct ls_thread *other))
{
    uint32_t used = atomic_load(&registry_used);
    for (uint32_t i = 0; i < used; i++) {
        struct ls_thread *o = atomic_load(&registry[i]);
        if (o && o != self)
            fn(self, o);
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

uint32_t ls_registry_size(void)
{
    return atomic_load(&registry_used);
}

struct ls_thread *ls_registry_slot(uint32_t i)
{
    return i < MAX_THREADS ? atomic_load_explicit(&registry[i], memory_order_acquire) : NULL;
}

#define FOR_EACH_THREAD(var)                                                        \
    for (uint32_t i_ = 0, n_ = atomic_load(&registry_used); i_ < n_; i_++)         \
        for (struct ls_thread *var = atomic_load_explicit(&registry[i_], memory_order_acquire); \
             var; var = NULL)

/* The sampled accesses every thread's ring holds, written now (the watch
 * sampler calls this every fifth of a turn; the timeline rings keep only
 * their last events and are written at the end). */
void ls_access_rings_drain_all(void)
{
    /* Only rings that hold something; a thread inside its trap handler is
     * left for the next tick (what it pushed by then is drained then, or
     * when it calls into the shim): waiting for it here took a yield per
     * turn of the loop, the program's CPU on a busy machine. */
    FOR_EACH_THREAD(t) {
        if (atomic_load_explicit(&t->ring_pending, memory_order_relaxed) &&
            !atomic_load(&t->in_trap))
            ls_ring_drain(t);
    }
}

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
    ls_tl_write_all(0);
}

/* A timed wait whose deadline is nearer than this may still end by itself
 * (and the program handle it): not blocked for good. */
#define LS_TIMED_FOREVER_MS 5000u

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The watchdog's clock for the check in progress. */
static uint64_t check_now_ms;

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

/* glibc's writer-preferring rwlock (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
 * in __flags): a reader that comes while a writer waits queues behind the
 * writer, even if it already holds a read lock.  (The other kinds let
 * readers in while a writer waits.) */
static int prefers_writer(const void *rwlock)
{
    return ((const volatile pthread_rwlock_t *)rwlock)->__data.__flags ==
           PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

static int blocked_for_good(const struct ls_thread *t)
{
    uint64_t until = t->wait_until_ms;
    return until == 0 || until > check_now_ms + LS_TIMED_FOREVER_MS;
}

/* ---- orphaned locks: held by a thread that has exited ----------------- */
static struct ls_dead_hold dead[MAX_DEAD];
static _Atomic uint32_t ndead;
static struct ls_spin dead_spin;

const struct ls_dead_hold *ls_dead_holds(uint32_t *n)
{
    *n = atomic_load_explicit(&ndead, memory_order_acquire);
    return dead;
}

/* A thread exits holding locks (a misuse, reported as such): remember them,
 * with where they were taken, for whoever waits for them later. */
static void note_dead_holds(struct ls_thread *t)
{
    uint32_t n = t->nheld <= LS_MAX_HELD ? t->nheld : 0;
    if (!n || !ls_opt.deadlock)
        return;
    ls_guard++;
    ls_capture_wait_stacks(t);
    ls_guard--;
    ls_spin_lock(&dead_spin);
    uint32_t k = atomic_load(&ndead);
    for (uint32_t i = 0; i < n && k < MAX_DEAD; i++, k++) {
        const struct ls_held *h = &t->held[i];
        dead[k] = (struct ls_dead_hold){.lk = h->lk, .lock_id = h->id, .tid = t->tid,
                                     .os_tid = t->os_tid, .stack = h->stack, .read = h->read};
    }
    atomic_store_explicit(&ndead, k, memory_order_release);
    ls_spin_unlock(&dead_spin);
}

static struct ls_thread *thread_by_os_tid(uint32_t os_tid);

/* Live traced threads holding lk for reading. */
static uint32_t live_readers(const struct ls_lock *lk)
{
    uint32_t n = 0;
    FOR_EACH_THREAD(o)
        n += holds(o, lk) == 2;
    return n;
}

/* The exited thread whose hold of lk makes a `kind` wait on obj wait, if the
 * lock's own state still says it is held that way; NULL otherwise. */
static const struct ls_dead_hold *orphan_of(const struct ls_lock *lk, const void *obj,
                                         uint32_t kind)
{
    uint32_t n = atomic_load_explicit(&ndead, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        const struct ls_dead_hold *d = &dead[i];
        if (d->lk != lk || d->lock_id != atomic_load(&lk->id))
            continue;
        /* A new thread may have been given the dead one's kernel id. */
        if (thread_by_os_tid(d->os_tid))
            continue;
        switch (lk->kind) {
        case LS_LOCK_MUTEX:
        case LS_LOCK_MUTEX_RECURSIVE:
        case LS_LOCK_MUTEX_ERRORCHECK:
            if ((uint32_t)(((const volatile pthread_mutex_t *)obj)->__data.__owner & 0x3fffffff) ==
                d->os_tid)
                return d;
            break;
        case LS_LOCK_RWLOCK: {
            const volatile pthread_rwlock_t *l = obj;
            if (!d->read && (uint32_t)l->__data.__cur_writer == d->os_tid)
                return d;
            if (d->read && kind == LS_WAIT_LOCK && (l->__data.__readers >> 3) > live_readers(lk))
                return d;
            break;
        }
        case LS_LOCK_SPIN:
            if (*(const volatile int *)obj != 0)
                return d;
            break;
        default:
            break;
        }
    }
    return NULL;
}

/* ---- the wait-for graph ------------------------------------------------ */

static struct ls_thread *thread_by_os_tid(uint32_t os_tid)
{
    if (!os_tid)
        return NULL;
    FOR_EACH_THREAD(t)
        if (t->os_tid == os_tid)
            return t;
    return NULL;
}

/* The threads that t waits for right now; *orphan (if not NULL) is set when
 * nobody alive holds what t waits for but an exited thread does.  Other
 * threads' held stacks are read without a lock: what matters is stable only
 * while those threads are blocked themselves, and a cycle is confirmed twice
 * before it counts. */
static int blockers(struct ls_thread *t, struct ls_thread **out, const struct ls_dead_hold **orphan)
{
    int n = 0;
    uint32_t kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
    struct ls_lock *lk = t->wait_lk;
    const void *obj = t->wait_obj;
    if (orphan)
        *orphan = NULL;
    if (!blocked_for_good(t))
        return 0;
    switch (kind) {
    case LS_WAIT_JOIN:
        if (t->wait_thread)
            out[n++] = t->wait_thread;
        return n;
    case LS_WAIT_LOCK:
    case LS_WAIT_LOCK_READ:
        if (!lk || !obj)
            return 0;
        /* A Python lock turned signal has no holder to wait for; one the
         * waiter holds itself (Lock.acquire twice) waits for itself. */
        if (ls_lock_is_py(lk) && atomic_load(&lk->py) != LS_PYSEM_LOCK)
            return 0;
        if (ls_lock_is_py(lk) && t->wait_thread == t) {
            out[n++] = t;
            return n;
        }
        if (lk->kind == LS_LOCK_MUTEX || lk->kind == LS_LOCK_MUTEX_RECURSIVE ||
            lk->kind == LS_LOCK_MUTEX_ERRORCHECK) {
            /* glibc keeps the owner's kernel thread id in every mutex type. */
            const volatile int *owner = &((const pthread_mutex_t *)obj)->__data.__owner;
            struct ls_thread *o = thread_by_os_tid((uint32_t)(*owner & 0x3fffffff));
            if (o && o != t)
                out[n++] = o;
        } else {
            /* rwlocks and spinlocks: whoever holds it in a conflicting mode
             * (readers do not block readers), and on a writer-preferring
             * rwlock the writers waiting for it, which a reader queues
             * behind. */
            int behind_writers = kind == LS_WAIT_LOCK_READ && lk->kind == LS_LOCK_RWLOCK &&
                                 prefers_writer(obj);
            FOR_EACH_THREAD(o) {
                if (o == t || n == MAX_BLOCKERS)
                    continue;
                int h = holds(o, lk);
                if (h == 1 || (h == 2 && kind == LS_WAIT_LOCK))
                    out[n++] = o;
                else if (behind_writers && o->wait_lk == lk &&
                         atomic_load_explicit(&o->wait_kind, memory_order_acquire) == LS_WAIT_LOCK)
                    out[n++] = o;
            }
        }
        if (n == 0 && orphan)
            *orphan = orphan_of(lk, obj, kind);
        return n;
    default:
        return 0;
    }
}

/* Depth-first search of the wait-for graph for a path from `cur` back to
 * c->t[0]. */
static int dfs(struct ls_wait_cycle *c, struct ls_thread *cur, int depth)
{
    c->t[depth] = cur;
    c->gen[depth] = atomic_load(&cur->wait_gen);
    c->orphan[depth] = NULL;
    if (depth + 1 >= MAX_CYCLE)
        return 0;
    struct ls_thread *b[MAX_BLOCKERS];
    int nb = blockers(cur, b, NULL);
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

static int find_cycle(struct ls_thread *self, struct ls_wait_cycle *c)
{
    c->n = 0;
    c->t[0] = self;
    return dfs(c, self, 0);
}

static int member_of(const struct ls_wait_cycle *c, const struct ls_thread *t)
{
    for (int i = 0; i < c->n; i++)
        if (c->t[i] == t)
            return 1;
    return 0;
}

/* The cycles through lock and join waits (up to `max`), each found from its
 * first member in registry order: the same from one check to the next
 * while nobody in it moves. */
static int find_cycles(struct ls_wait_cycle *out, int max)
{
    int n = 0;
    FOR_EACH_THREAD(t) {
        if (n == max)
            break;
        uint32_t kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
        if (kind != LS_WAIT_LOCK && kind != LS_WAIT_LOCK_READ && kind != LS_WAIT_JOIN)
            continue;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++)
            seen = member_of(&out[k], t);
        if (!seen && find_cycle(t, &out[n]))
            n++;
    }
    return n;
}

/* Any thread may release a Python lock: a cycle through one (or a thread
 * waiting for a Lock it holds) is a deadlock only once every traced thread
 * is blocked for good, with nobody left to release it. */
static int py_cycle_stuck(const struct ls_wait_cycle *c)
{
    int py = 0;
    for (int i = 0; i < c->n; i++)
        py |= c->t[i]->wait_lk && ls_lock_is_py(c->t[i]->wait_lk);
    if (!py)
        return 1;
    FOR_EACH_THREAD(o) {
        if (!atomic_load_explicit(&o->wait_kind, memory_order_acquire) || !blocked_for_good(o))
            return 0;
    }
    return 1;
}

static int same_cycle(const struct ls_wait_cycle *a, const struct ls_wait_cycle *b)
{
    if (a->n != b->n || a->n == 0)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->t[i] != b->t[i] || a->gen[i] != b->gen[i])
            return 0;
    return 1;
}

/* Called once a deadlock is confirmed; does not return when ending the
 * program. */
static void handle(struct ls_wait_cycle *c, uint32_t flags)
{
    if (atomic_exchange(&reported, 1))
        return; /* reported already (by another member) */
    int end = ls_opt.deadlock == 2;
    int status = end ? ls_opt.deadlock_exitcode : -1;
    ls_deadlock_write_record(c, flags | (end ? LS_DEADLOCK_ENDED : 0), status);
    ls_tl_write_all(0);
    ls_deadlock_describe(c, flags);
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

/* The waiter's own stacks, interned (held locks' included): for waits that
 * are reported from the waiting thread, and ownerless waits. */
static void publish_stacks(struct ls_thread *t)
{
    if (atomic_load(&t->wait_stack))
        return;
    ls_guard++;
    uint32_t st = ls_capture_wait_stacks(t);
    ls_guard--;
    atomic_store(&t->wait_stack, st);
    atomic_store_explicit(&t->wait_published, 1, memory_order_release);
}

/* publish_stacks for an ownerless wait on obj, whose wrapper gave the
 * call's site (ls_in_wait_at). */
static void publish_wait_stacks(struct ls_thread *t, const void *obj)
{
    if (atomic_load_explicit(&t->in_obj, memory_order_relaxed) != obj || !t->in_cfa) {
        publish_stacks(t);
        return;
    }
    ls_guard++;
    uint32_t st = ls_wait_stacks_at(t, t->in_ret, t->in_cfa);
    ls_guard--;
    atomic_store(&t->wait_stack, st);
    atomic_store_explicit(&t->wait_published, 1, memory_order_release);
}

/* The raw stack only: no syscall, no lock (unw_backtrace caches per thread). */
void ls_wait_publish_stacks(struct ls_thread *t)
{
    publish_stacks(t);
}

/* The raw stack of a lock or join wait called from ret at cfa (0: not
 * known): a lock wait's from the frames kept for its call when they hold
 * (wait_stacks.c), else unwound. */
static void publish_raw(struct ls_thread *t, uint64_t ret, uint64_t cfa)
{
    int saved = errno;
    ls_guard++;
    const struct ls_wait_site *site = cfa ? ls_lock_wait_site(t, ret, cfa) : NULL;
    int n;
    if (site) {
        n = (int)site->n < ls_opt.stack_depth ? (int)site->n : ls_opt.stack_depth;
        for (int i = 0; i < n; i++)
            t->wait_ips[i] = site->f[i].ip;
    } else {
        n = ls_backtrace(t->wait_ips, ls_opt.stack_depth);
    }
    ls_guard--;
    t->wait_nips = n > 0 ? (uint32_t)n : 0;
    atomic_store_explicit(&t->wait_published, 1, memory_order_release);
    errno = saved;
}

static int members_published(const struct ls_wait_cycle *c)
{
    for (int i = 0; i < c->n; i++)
        if (!atomic_load_explicit(&c->t[i]->wait_published, memory_order_acquire))
            return 0;
    return 1;
}

/* ---- stalls ------------------------------------------------------------ */

/* Every traced thread blocked for good: for stall_ms when one of them waits
 * without an owner; for a check already when, with lock and join waits only,
 * one waits for an orphaned lock.  *flags gets LS_DEADLOCK_ORPHAN if a lock
 * waited for is orphaned. */
static int find_stall(struct ls_wait_cycle *c, uint32_t *flags)
{
    uint64_t now = check_now_ms, least = UINT64_MAX;
    c->n = 0;
    *flags = LS_DEADLOCK_STALL;
    if (ls_opt.stall_ms <= 0)
        return 0; /* stalls are not watched (an option) */
    int any_ownerless = 0, any_orphan = 0;
    FOR_EACH_THREAD(t) {
        uint32_t kind = atomic_load_explicit(&t->wait_kind, memory_order_acquire);
        uint64_t since = t->wait_since_ms;
        if (!kind || !since || since > now || !blocked_for_good(t))
            return 0;
        if (now - since < least)
            least = now - since;
        any_ownerless |= kind == LS_WAIT_COND || kind == LS_WAIT_SEM || kind == LS_WAIT_BARRIER;
        if (c->n < MAX_CYCLE) {
            c->t[c->n] = t;
            c->gen[c->n] = atomic_load(&t->wait_gen);
            struct ls_thread *b[MAX_BLOCKERS];
            const struct ls_dead_hold *d;
            c->next[c->n] = blockers(t, b, &d) > 0 ? b[0] : NULL;
            c->orphan[c->n] = d;
            any_orphan |= d != NULL;
            c->n++;
        }
    }
    if (any_orphan)
        *flags |= LS_DEADLOCK_ORPHAN;
    if (c->n == 0)
        return 0;
    if (any_ownerless)
        return least >= (uint64_t)ls_opt.stall_ms && ls_opt.stall_ms > 0;
    /* Only lock and join waits: the cycles are found as cycles; a chain
     * that ends in an untraced holder may still move. */
    return any_orphan && least >= (uint64_t)ls_opt.deadlock_check_ms;
}

static pthread_t watchdog;
static _Atomic int watchdog_started;
static _Atomic uint32_t wake_seq; /* the watchdog's futex: bumped to wake it */
static _Atomic uint64_t sleep_until; /* when it wakes by itself next; 0: not asleep yet */

#define MAX_TRACKED 8

static void *watchdog_main(void *arg)
{
    ls_guard = 1; /* nothing this thread does is the program's */
    /* This check's cycles and the previous check's: a cycle found in both,
     * with the same waits, is a deadlock. */
    static struct ls_wait_cycle cyc[2][MAX_TRACKED], stall[2];
    int ncyc[2] = {0, 0}, cur = 0;
    stall[1].n = 0;
    const uint64_t check_ns = (uint64_t)ls_opt.deadlock_check_ms * 1000000u;
    uint64_t next_check = ls_mono_ns() + check_ns;
    for (;;) {
        /* Asleep until the next check, or the profile's next tick (which
         * this thread gives when the profile has it to: one thread fewer
         * to start); woken when it is given the ticks. */
        uint32_t seq = atomic_load(&wake_seq);
        uint64_t now = ls_mono_ns(), due = ls_profile_tick_due();
        uint64_t until = due && due < next_check ? due : next_check;
        if (until > now) {
            struct timespec ts = {(time_t)((until - now) / 1000000000u),
                                  (long)((until - now) % 1000000000u)};
            atomic_store(&sleep_until, until);
            syscall(SYS_futex, &wake_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
        }
        /* The program's last thread has ended (it called pthread_exit, or a
         * forked thread returned): the process ends when its last thread
         * does, and this one must not keep it alive. */
        if (atomic_load(&ls_live_count) == 0)
            return arg;
        now = ls_mono_ns();
        due = ls_profile_tick_due();
        if (due && now >= due)
            ls_profile_tick();
        if (now < next_check)
            continue;
        next_check = now + check_ns;
        if (!atomic_load(&ls_active) || atomic_load(&reported))
            continue;
        check_now_ms = mono_ms();
        int prev = !cur;
        ncyc[cur] = find_cycles(cyc[cur], MAX_TRACKED);
        for (int i = 0; i < ncyc[cur]; i++)
            for (int j = 0; j < ncyc[prev]; j++)
                if (same_cycle(&cyc[cur][i], &cyc[prev][j]) && members_published(&cyc[cur][i]) &&
                    py_cycle_stuck(&cyc[cur][i]))
                    handle(&cyc[cur][i], cyc[cur][i].n == 1 && cyc[cur][i].next[0] ==
                                                 cyc[cur][i].t[0] ? LS_DEADLOCK_SELF : 0);
        uint32_t flags;
        if (!find_stall(&stall[cur], &flags))
            stall[cur].n = 0;
        else if (same_cycle(&stall[cur], &stall[prev]) && members_published(&stall[cur]))
            handle(&stall[cur], flags);
        cur = prev;
        /* The next check a whole period after this one ended, as before. */
        next_check = ls_mono_ns() + check_ns;
    }
    return arg;
}

static void start_watchdog(void)
{
    if (atomic_load_explicit(&watchdog_started, memory_order_relaxed) ||
        atomic_exchange(&watchdog_started, 1) || !ls_real.create)
        return;
    if (ls_shim_thread(&watchdog, 256 * 1024, watchdog_main) != 0)
        atomic_store(&watchdog_started, 0);
}

int ls_deadlock_take_ticks(uint64_t due)
{
    if (!ls_opt.deadlock)
        return 0;
    start_watchdog();
    if (!atomic_load(&watchdog_started))
        return 0;
    /* The watchdog reads the dues after the sequence: one that read it
     * before this bump and sleeps past due is woken; one that had not gone
     * to sleep yet does not (its wait returns at once), nor one that wakes
     * before due anyway.  A wake-up is a context switch (~30 us), and the
     * watchdog started just now is usually one of these. */
    atomic_fetch_add(&wake_seq, 1);
    if (atomic_load(&sleep_until) > due)
        syscall(SYS_futex, &wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return 1;
}

void ls_deadlock_thread_created(void)
{
    /* Started here, where the program itself creates a thread, rather than
     * from inside its first wait: that wait may be in code (a malloc of its
     * own) that creating a thread would enter again. */
    if (ls_opt.deadlock)
        start_watchdog();
}

static void take_orphans(void);

void ls_deadlock_after_fork_child(void)
{
    take_orphans();
    atomic_store(&watchdog_started, 0); /* the watchdog did not survive the fork */
    atomic_store(&sleep_until, 0);
    atomic_store(&ndead, 0);
    dead_spin.v = 0;
}

/* ---- fork: locks the child can never get --------------------------------
 * fork copies only the forking thread; a lock another thread held at that
 * moment stays locked in the child forever. */
#define MAX_ORPHANS 256
static struct ls_lock *orphans[MAX_ORPHANS];
static int norphans;
/* Noted by the forking thread, taken up by the child only: in the parent
 * the other threads go on and release what they hold (a wait in the
 * parent while its fork is under way is no orphan's: taking it for one
 * ended multiprocessing programs whose threads wait on a SimpleQueue). */
static struct ls_lock *pending[MAX_ORPHANS];
static int npending;

void ls_deadlock_before_fork(struct ls_thread *self)
{
    npending = 0;
    FOR_EACH_THREAD(t) {
        if (t == self)
            continue;
        uint32_t n = t->nheld <= LS_MAX_HELD ? t->nheld : 0;
        for (uint32_t i = 0; i < n && npending < MAX_ORPHANS; i++)
            if (!t->held[i].read)
                pending[npending++] = t->held[i].lk;
    }
}

void ls_deadlock_after_fork_parent(void)
{
    npending = 0;
}

static void take_orphans(void)
{
    memcpy(orphans, pending, (size_t)npending * sizeof orphans[0]);
    norphans = npending;
    npending = 0;
}

static int fork_orphaned(const struct ls_lock *lk)
{
    for (int i = 0; i < norphans; i++)
        if (orphans[i] == lk)
            return 1;
    return 0;
}

/* ---- waits ------------------------------------------------------------- */

/* ... called from ret at cfa (0: not known), at now_ns on CLOCK_MONOTONIC
 * (0: read the clock). */
static void wait_publish_at(struct ls_thread *t, uint32_t kind, struct ls_lock *lk,
                            const void *obj, struct ls_thread *other, uint64_t until_ms,
                            uint64_t ret, uint64_t cfa, uint64_t now_ns)
{
    t->wait_lk = lk;
    t->wait_obj = obj;
    t->wait_thread = other;
    t->wait_until_ms = until_ms;
    t->wait_since_ms = !ls_opt.deadlock ? 0 : now_ns ? now_ns / 1000000u : mono_ms();
    atomic_store(&t->wait_stack, 0);
    atomic_store(&t->wait_published, 0);
    atomic_fetch_add(&t->wait_gen, 1);
    atomic_store_explicit(&t->wait_kind, kind, memory_order_release);
    if (!ls_opt.deadlock)
        return;
    if (kind == LS_WAIT_COND || kind == LS_WAIT_SEM || kind == LS_WAIT_BARRIER) {
        /* Nobody can look at this wait from inside it: publish now (from
         * the stacks of the thread's last wait from the same call, when
         * they still hold: wait_stacks.c). */
        if (ls_opt.stall_ms > 0) {
            publish_wait_stacks(t, obj);
            start_watchdog();
        }
        return;
    }
    /* A Python lock can be released by any thread: orphaned only while
     * no other thread is left to do it. */
    if (norphans && lk && fork_orphaned(lk) &&
        (!ls_lock_is_py(lk) ||
         (atomic_load(&lk->py) == LS_PYSEM_LOCK && ls_live_threads() <= 1))) {
        publish_stacks(t);
        struct ls_wait_cycle c = {.n = 1};
        c.t[0] = t;
        c.gen[0] = atomic_load(&t->wait_gen);
        handle(&c, LS_DEADLOCK_FORK_ORPHAN);
        return;
    }
    publish_raw(t, ret, cfa);
    start_watchdog();
}

static void wait_publish(struct ls_thread *t, uint32_t kind, struct ls_lock *lk, const void *obj,
                         struct ls_thread *other, uint64_t until_ms)
{
    wait_publish_at(t, kind, lk, obj, other, until_ms, 0, 0, 0);
}

void ls_wait_begin(struct ls_thread *t, uint32_t kind, struct ls_lock *lk, const void *obj,
                   struct ls_thread *other)
{
    if (t->tl)
        ls_tl_wait(t, kind, lk, obj, other);
    wait_publish(t, kind, lk, obj, other, 0);
}

void ls_wait_begin_timed(struct ls_thread *t, uint32_t kind, struct ls_lock *lk,
                         const void *obj, clockid_t clk, const struct timespec *abstime)
{
    /* The deadline on CLOCK_MONOTONIC, in ms (at least 1: 0 means none). */
    uint64_t until = 1;
    struct timespec now;
    if (abstime && abstime->tv_nsec >= 0 && abstime->tv_nsec < 1000000000L &&
        clock_gettime(clk, &now) == 0) {
        int64_t left_ms = ((int64_t)abstime->tv_sec - (int64_t)now.tv_sec) * 1000 +
                          ((int64_t)abstime->tv_nsec - (int64_t)now.tv_nsec) / 1000000;
        if (left_ms > 0)
            until = mono_ms() + (uint64_t)left_ms;
    }
    if (t->tl)
        ls_tl_wait(t, kind, lk, obj, NULL);
    wait_publish(t, kind, lk, obj, NULL, until);
}

void ls_wait_end(struct ls_thread *t)
{
    if (t->tl)
        ls_tl_wait_end(t);
    atomic_store_explicit(&t->wait_kind, 0, memory_order_release);
}

int ls_wait_mutex(struct ls_thread *t, struct ls_lock *lk, pthread_mutex_t *m, uint64_t ret,
                  uint64_t cfa)
{
    uint64_t t0 = ls_mono_ns();
    if (!ls_opt.deadlock) {
        if (t->tl)
            ls_tl_wait(t, LS_WAIT_LOCK, lk, m, NULL);
        int r = ls_real.mutex_lock(m);
        if (t->tl)
            ls_tl_wait_end(t);
        t->last_wait_ns = ls_mono_ns() - t0 + 1;
        return r;
    }
    /* ls_wait_begin's, from the call's kept frames, at the time just read */
    if (t->tl)
        ls_tl_wait(t, LS_WAIT_LOCK, lk, m, NULL);
    wait_publish_at(t, LS_WAIT_LOCK, lk, m, NULL, 0, ret, cfa, t0);
    int r = ls_real.mutex_lock(m);
    ls_wait_end(t);
    t->last_wait_ns = ls_mono_ns() - t0 + 1;
    return r;
}

int ls_wait_join(struct ls_thread *t, struct ls_thread *child, pthread_t th, void **ret)
{
    if (!ls_opt.deadlock || !child) {
        if (t->tl && child)
            ls_tl_wait(t, LS_WAIT_JOIN, NULL, NULL, child);
        int r = ls_real.join(th, ret);
        if (t->tl && child)
            ls_tl_wait_end(t);
        return r;
    }
    ls_wait_begin(t, LS_WAIT_JOIN, NULL, NULL, child);
    int r = ls_real.join(th, ret);
    ls_wait_end(t);
    return r;
}

void ls_self_deadlock(struct ls_thread *t, struct ls_lock *lk, const void *obj, uint32_t kind)
{
    if (!ls_opt.deadlock)
        return;
    ls_wait_begin(t, kind, lk, obj, t);
    publish_stacks(t);
    struct ls_wait_cycle c = {.n = 1};
    c.t[0] = t;
    c.next[0] = t;
    c.gen[0] = atomic_load(&t->wait_gen);
    handle(&c, LS_DEADLOCK_SELF);
    ls_wait_end(t);
}
