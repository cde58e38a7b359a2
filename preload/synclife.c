/*
 * The sync objects' own lifetime: inits and destroys are writes, uses are
 * reads, ordered by the threads' vector clocks (synclife.h has the
 * contract and the costs).
 *
 * What is judged, and why not more (a false alarm is worse than a miss):
 *  - a use the first time its thread uses this generation of the object,
 *    against the init before it.  Against a destroy before it only where
 *    no other way to make the object exists: barriers and semaphores have
 *    no static initializer, and a mutex glibc marked destroyed (__kind
 *    -1) was not made again by an assignment; and only while the thread
 *    that made the init or destroy runs (one that ended may have left the
 *    memory to a new object: a cached thread stack, a freed block);
 *  - an init or destroy against each other thread's last use since the
 *    previous one, and against the previous init/destroy itself, for
 *    objects in the program's global data.  On the heap only a destroy,
 *    only against uses: memory freed without a destroy and allocated again
 *    holds a new object that nothing (malloc is not followed) orders
 *    after the old one's uses;
 *  - waits (condvar, semaphore) are checked against the init, but an init
 *    or destroy after them is no race with them (a woken waiter may still
 *    be on its way out, which glibc and POSIX allow);
 *  - threads holding the object or waiting inside it when it is
 *    initialized again or destroyed are the misuse rules' (reinit-in-use,
 *    destroy-locked, ...), except a barrier destroyed with a thread inside
 *    it: a race on the barrier, reported here (the caller then leaves the
 *    misuse out);
 *  - threads whose creation the shim did not see (clone, glibc's own
 *    helper threads) and CPython processes (their sync goes through the
 *    GIL, which is not followed) are left out.
 */
#define _GNU_SOURCE
#include "hot.h"
#include "synclife.h"
#include "watch.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOBJ (1u << LS_LOCK_TABLE_BITS)
#define STACK_BUDGET 4096u

/* Where an object's generation stands: its last init or destroy. */
struct life {
    uint32_t tid, epoch, stack, call;
    uint32_t fork;            /* fork_gen it was written under (older: void) */
    uint8_t destroyed;        /* the last write was a destroy */
    uint8_t mem;              /* LS_SLMEM_* + 1 once known, 0 not yet */
    uint16_t reserved;
    uint64_t ret;
};

static struct life *lives;
static struct ls_spin alloc_spin;
static uint32_t fork_gen = 1;
static uint32_t fork_tid; /* the forking thread, in a forked child */

static int alloc_lives(void)
{
    if (lives)
        return 0;
    ls_spin_lock(&alloc_spin);
    if (!lives) {
        void *l = mmap(NULL, (size_t)NOBJ * sizeof(struct life), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (l != MAP_FAILED)
            __atomic_store_n(&lives, (struct life *)l, __ATOMIC_RELEASE);
    }
    ls_spin_unlock(&alloc_spin);
    return lives ? 0 : -1;
}

/* The thread's clock knows (tid, epoch). */
static int knows(const struct ls_thread *t, uint32_t tid, uint32_t epoch)
{
    return tid < t->vc.n && t->vc.v[tid] >= epoch;
}

/* Threads whose clocks mean something: created through the shim (or the
 * main thread, or a forked child's only thread). */
static int followed(const struct ls_thread *t)
{
    return t->parent != 0 || t->tid == 1 || (fork_tid && t->tid == fork_tid);
}

static int on(const struct ls_thread *t)
{
    return !ls_py_on && t->vc.v && followed(t) &&
           atomic_load_explicit(&ls_clocks_on, memory_order_relaxed);
}

static struct ls_sl_table *table_of(struct ls_thread *t)
{
    struct ls_sl_table *tb = atomic_load(&t->sl);
    if (!tb) {
        tb = ls_arena_alloc(sizeof *tb + LS_SL_FIRST * sizeof tb->e[0]);
        if (!tb)
            return NULL;
        tb->mask = LS_SL_FIRST - 1;
        atomic_store(&tb->tid, t->tid);
        tb->budget = STACK_BUDGET;
        atomic_store(&t->sl, tb);
    } else if (atomic_load(&tb->tid) != t->tid) {
        /* a recycled state: the entries are a thread's that has gone */
        atomic_store(&tb->tid, 0);
        memset(tb->e, 0, (tb->mask + 1) * sizeof tb->e[0]);
        tb->evictions = 0;
        tb->budget = STACK_BUDGET;
        atomic_store(&tb->tid, t->tid);
    }
    return tb;
}

static uint32_t one_frame(uint64_t ip)
{
    return ip ? ls_stack_intern(&ip, 1) : 0;
}

/* The calling thread's stack, while the budget lasts; then the call site. */
static uint32_t stack_now(struct ls_sl_table *tb, uint64_t ret)
{
    if (tb && tb->budget) {
        tb->budget--;
        return ls_stack_here();
    }
    return one_frame(ret);
}

/* ---- where the object lives (for the report) ---------------------------- */

/* (Not dladdr: it takes the loader's lock, which a thread inside dlopen may
 * hold while it waits for a lock this thread holds.) */
static int in_module(uintptr_t a)
{
    return ls_modules_have(a);
}

static uint64_t hex(const char **s)
{
    uint64_t v = 0;
    for (;; (*s)++) {
        char c = **s;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return v;
        v = v * 16 + (uint64_t)d;
    }
}

/* One line of /proc/self/maps: does it hold a?  A thread's stack is a
 * mapping right above its guard page (---p); glibc's heaps have theirs
 * above them. */
static int maps_line(const char *l, uintptr_t a, uint64_t *prev_end, int *prev_guard)
{
    const char *s = l;
    uint64_t lo = hex(&s);
    if (*s == '-')
        s++;
    uint64_t hi = hex(&s);
    while (*s == ' ')
        s++;
    int guard = !strncmp(s, "---p", 4);
    int r = 0;
    if (a >= lo && a < hi) {
        if (strstr(s, "[stack]"))
            r = LS_SLMEM_STACK;
        else if (strstr(s, "[heap]"))
            r = LS_SLMEM_HEAP;
        else
            r = *prev_guard && *prev_end == lo ? LS_SLMEM_STACK : LS_SLMEM_HEAP;
    }
    *prev_end = hi;
    *prev_guard = guard;
    return r;
}

static uint32_t mem_of(uintptr_t a)
{
    if (in_module(a))
        return LS_SLMEM_GLOBAL;
    static char buf[4096];
    static struct ls_spin maps_spin;
    ls_spin_lock(&maps_spin);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    uint32_t r = LS_SLMEM_UNKNOWN;
    if (fd >= 0) {
        size_t have = 0;
        uint64_t prev_end = 0;
        int prev_guard = 0;
        for (;;) {
            ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
            if (n <= 0)
                break;
            have += (size_t)n;
            buf[have] = 0;
            char *line = buf, *nl;
            while (!r && (nl = strchr(line, '\n'))) {
                *nl = 0;
                r = (uint32_t)maps_line(line, a, &prev_end, &prev_guard);
                line = nl + 1;
            }
            if (r)
                break;
            have = (size_t)(buf + have - line);
            memmove(buf, line, have);
            if (have == sizeof buf - 1)
                have = 0; /* a line longer than the buffer: dropped */
        }
        close(fd);
    }
    ls_spin_unlock(&maps_spin);
    return r;
}

static uint32_t mem_cached(struct life *l, uintptr_t a)
{
    if (!l->mem)
        l->mem = (uint8_t)(in_module(a) ? LS_SLMEM_GLOBAL + 1 : LS_SLMEM_UNKNOWN + 1);
    return l->mem - 1u;
}

/* ---- the record ----------------------------------------------------------- */

#define SEEN 1024
static uint64_t seen[SEEN];
static struct ls_spin seen_spin;

/* Once per object address and pair of call sites (1024 of them at most). */
static int first_time(uint64_t key)
{
    key |= 1;
    uint32_t h = (uint32_t)ls_mix64(key) & (SEEN - 1);
    int first = 0;
    ls_spin_lock(&seen_spin);
    for (uint32_t i = 0; i < SEEN; i++) {
        uint32_t k = (h + i) & (SEEN - 1);
        if (seen[k] == key)
            break;
        if (seen[k] == 0) {
            seen[k] = key;
            first = 1;
            break;
        }
    }
    ls_spin_unlock(&seen_spin);
    return first;
}

struct side {
    uint32_t tid, epoch, stack, call;
    uint64_t ret;
};

/* The same two sites again (a loop of rounds, a new generation) are the
 * same race. */
static void report(struct ls_lock *lk, const struct side *w, const struct side *o, uint32_t flags)
{
    uintptr_t a = atomic_load(&lk->addr);
    uint64_t key = ls_mix64(a) ^ ls_mix64(w->ret * 31 + o->ret);
    if (!first_time(key))
        return;
    struct ls_rec_sync_race r = {
        .addr = a,
        .kind = lk->kind,
        .flags = flags,
        .mem = mem_of(a),
        .write_tid = w->tid,
        .write_epoch = w->epoch,
        .write_stack = w->stack,
        .write_call = w->call,
        .other_tid = o->tid,
        .other_epoch = o->epoch,
        .other_stack = o->stack,
        .other_call = o->call,
    };
    ls_writer_record(LS_REC_SYNC_RACE, &r, sizeof r, NULL, 0, NULL, 0);
}

/* ---- a use ------------------------------------------------------------------ */

/* A use after a destroy is judged only where nothing but an init call can
 * make the object again. */
static int destroy_judged(const struct ls_lock *lk)
{
    switch (lk->kind) {
    case LS_SYNC_BARRIER:
    case LS_SYNC_SEM:
        return 1;
    case LS_LOCK_MUTEX:
    case LS_LOCK_MUTEX_RECURSIVE:
    case LS_LOCK_MUTEX_ERRORCHECK: {
        const pthread_mutex_t *m = (const pthread_mutex_t *)atomic_load(&lk->addr);
        return m->__data.__kind == -1;
    }
    default:
        return 0;
    }
}

/* A thread with this id runs now.  One that ended may have left the
 * object's memory to be made again: a thread stack glibc gives to a new
 * thread, a block freed and allocated again (no call marks either). */
static int alive(uint32_t tid)
{
    for (uint32_t i = 0, n = ls_registry_size(); i < n; i++) {
        struct ls_thread *u = ls_registry_slot(i);
        if (u && u->tid == tid && !u->exited)
            return 1;
    }
    return 0;
}

static void use_judged(struct ls_thread *t, struct ls_sl_table *tb, struct ls_lock *lk,
                       uint32_t call, uint64_t ret)
{
    struct life *l = lives ? &lives[ls_sl_index(lk)] : NULL;
    if (!l || !l->tid || l->fork != fork_gen || l->tid == t->tid || knows(t, l->tid, l->epoch))
        return;
    if ((l->destroyed && !destroy_judged(lk)) || !alive(l->tid))
        return;
    struct side w = {l->tid, l->epoch, l->stack, l->call, l->ret};
    struct side o = {t->tid, t->vc.v[t->tid], 0, call, ret};
    if (tb && tb->budget)
        tb->budget--;
    o.stack = ls_stack_here();
    report(lk, &w, &o, 0);
}

/* Thread t's table tb (whose busy flag it holds) replaced by one of
 * LS_SL_SEEN entries holding the same uses, busy too; tb if there is no
 * memory.  A thread reading tb meanwhile finds the uses as they were (the
 * table is never freed): older ones, whose epochs it knows sooner, so it
 * can only miss a race, never report one wrongly. */
static struct ls_sl_table *grown(struct ls_thread *t, struct ls_sl_table *tb)
{
    struct ls_sl_table *big = ls_arena_alloc(sizeof *big + LS_SL_SEEN * sizeof big->e[0]);
    if (!big) {
        tb->evictions = 0;
        return tb;
    }
    memset(big, 0, sizeof *big + LS_SL_SEEN * sizeof big->e[0]);
    big->mask = LS_SL_SEEN - 1;
    big->budget = tb->budget;
    atomic_store(&big->busy, 1);
    atomic_store(&big->tid, atomic_load(&tb->tid));
    for (uint32_t i = 0; i <= tb->mask; i++) {
        struct ls_lock *lk = atomic_load_explicit(&tb->e[i].lk, memory_order_relaxed);
        if (!lk)
            continue;
        struct ls_sl_seen *o = &tb->e[i], *n = &big->e[ls_sl_slot(big, lk)];
        atomic_store_explicit(&n->gen, atomic_load_explicit(&o->gen, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&n->epoch, atomic_load_explicit(&o->epoch, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&n->ret, atomic_load_explicit(&o->ret, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&n->stack, atomic_load_explicit(&o->stack, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&n->call, atomic_load_explicit(&o->call, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&n->first_ret,
                              atomic_load_explicit(&o->first_ret, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&n->lk, lk, memory_order_relaxed);
    }
    atomic_store_explicit(&t->sl, big, memory_order_release);
    return big;
}

void ls_sl_use_slow(struct ls_thread *t, struct ls_lock *lk, uint32_t call, uint64_t ret, int how)
{
    if (!on(t))
        return;
    struct ls_sl_table *tb = atomic_load(&t->sl);
    if (how & LS_SLU_ASYNC) {
        /* from a signal handler, maybe: only a table that exists, not busy */
        if (!tb || atomic_load(&tb->tid) != t->tid || atomic_exchange(&tb->busy, 1))
            return;
    } else {
        tb = table_of(t);
        if (!tb || atomic_exchange(&tb->busy, 1))
            return;
    }
    int saved = errno;
    ls_guard++;
    uint32_t gen = ls_sl_gen(lk);
    if (!(how & LS_SLU_ASYNC))
        use_judged(t, tb, lk, call, ret);
    struct ls_sl_seen *e = &tb->e[ls_sl_slot(tb, lk)];
    struct ls_lock *was = atomic_load_explicit(&e->lk, memory_order_relaxed);
    if (!(how & LS_SLU_ASYNC) && was && was != lk && ++tb->evictions > 4 * (tb->mask + 1) &&
        tb->mask + 1 < LS_SL_SEEN) {
        struct ls_sl_table *big = grown(t, tb);
        if (big != tb) {
            atomic_store(&tb->busy, 0);
            tb = big;
            e = &tb->e[ls_sl_slot(tb, lk)];
        }
    }
    atomic_store_explicit(&e->lk, NULL, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&e->gen, gen, memory_order_relaxed);
    atomic_store_explicit(&e->epoch, (how & LS_SLU_WAIT) ? 0 : t->vc.v[t->tid],
                          memory_order_relaxed);
    atomic_store_explicit(&e->ret, ret, memory_order_relaxed);
    atomic_store_explicit(&e->call, call, memory_order_relaxed);
    /* The first use's stack, when more than one thread runs (a use made
     * alone happens before every thread created later). */
    uint32_t st = 0;
    if (!(how & LS_SLU_ASYNC) && tb->budget && ls_live_threads() > 1) {
        tb->budget--;
        st = ls_stack_here();
    }
    atomic_store_explicit(&e->stack, st, memory_order_relaxed);
    atomic_store_explicit(&e->first_ret, ret, memory_order_relaxed);
    atomic_store_explicit(&e->lk, lk, memory_order_release);
    ls_guard--;
    errno = saved;
    atomic_store(&tb->busy, 0);
}

/* ---- an init or destroy --------------------------------------------------- */

static int holds(const struct ls_thread *u, const struct ls_lock *lk)
{
    uint32_t n = u->nheld;
    for (uint32_t i = 0; i < n && i < LS_MAX_HELD; i++)
        if (u->held[i].lk == lk)
            return 1;
    return 0;
}

/* u's last use of lk's generation gen, if t does not know it: its side. */
static int unknown_use(const struct ls_thread *t, struct ls_thread *u, struct ls_lock *lk,
                       uint32_t gen, struct side *o, uint64_t *first_ret)
{
    struct ls_sl_table *tb = atomic_load(&u->sl);
    uint32_t tid = u->tid;
    if (!tb || atomic_load(&tb->tid) != tid || !followed(u))
        return 0;
    struct ls_sl_seen *e = &tb->e[ls_sl_slot(tb, lk)];
    if (atomic_load_explicit(&e->lk, memory_order_acquire) != lk)
        return 0;
    uint32_t egen = atomic_load_explicit(&e->gen, memory_order_relaxed);
    uint32_t epoch = atomic_load_explicit(&e->epoch, memory_order_relaxed);
    uint64_t ret = atomic_load_explicit(&e->ret, memory_order_relaxed);
    uint32_t stack = atomic_load_explicit(&e->stack, memory_order_relaxed);
    uint32_t call = atomic_load_explicit(&e->call, memory_order_relaxed);
    *first_ret = atomic_load_explicit(&e->first_ret, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&e->lk, memory_order_relaxed) != lk || egen != gen || !epoch ||
        knows(t, tid, epoch))
        return 0;
    *o = (struct side){tid, epoch, stack, call, ret};
    return 1;
}

/* The stack to show for a use: the first use's, if the last one was made
 * at the same call site, else that call site. */
static uint32_t use_stack(const struct side *o, uint64_t first_ret)
{
    return o->stack && first_ret == o->ret ? o->stack : one_frame(o->ret);
}

/* Where a thread inside a wait on obj waits. */
static uint32_t inside_stack(struct ls_thread *u, const void *obj)
{
    uint32_t st = 0;
    if (atomic_load(&u->wait_kind) && u->wait_obj == obj &&
        atomic_load_explicit(&u->wait_published, memory_order_acquire))
        st = atomic_load(&u->wait_stack);
    return st ? st : one_frame(u->in_ret);
}

/* Another thread's use that t's init/destroy does not know about: the
 * first found is reported.  Returns 1 if one was. */
static int check_uses(struct ls_thread *t, struct ls_lock *lk, uint32_t gen, const struct side *w,
                      int barrier_destroy)
{
    const void *obj = (const void *)atomic_load(&lk->addr);
    for (uint32_t i = 0, n = ls_registry_size(); i < n; i++) {
        struct ls_thread *u = ls_registry_slot(i);
        struct side o;
        uint64_t first_ret = 0;
        if (!u || u == t || !unknown_use(t, u, lk, gen, &o, &first_ret))
            continue;
        int inside = atomic_load_explicit(&u->in_obj, memory_order_acquire) == obj;
        if ((inside || holds(u, lk)) && !(barrier_destroy && inside))
            continue; /* the misuse rules' */
        o.stack = inside ? inside_stack(u, obj) : use_stack(&o, first_ret);
        report(lk, w, &o, LS_SLR_OTHER_FIRST | (inside ? LS_SLR_OTHER_INSIDE : 0));
        return 1;
    }
    return 0;
}

/* The bytes of one object of a kind. */
static uint64_t kind_size(uint32_t kind)
{
    switch (kind) {
    case LS_LOCK_MUTEX:
    case LS_LOCK_MUTEX_RECURSIVE:
    case LS_LOCK_MUTEX_ERRORCHECK: return sizeof(pthread_mutex_t);
    case LS_LOCK_RWLOCK: return sizeof(pthread_rwlock_t);
    case LS_SYNC_COND: return sizeof(pthread_cond_t);
    case LS_SYNC_SEM: return sizeof(sem_t);
    case LS_SYNC_BARRIER: return sizeof(pthread_barrier_t);
    default: return 0;
    }
}

int ls_sl_write(struct ls_thread *t, struct ls_lock *lk, uint32_t call, uint64_t ret, int destroy)
{
    if (lk && !destroy && kind_size(lk->kind))
        ls_objs_sync_object(atomic_load(&lk->addr), kind_size(lk->kind));
    if (!lk || !on(t) || alloc_lives() != 0)
        return 0;
    struct ls_sl_table *tb = table_of(t);
    if (!tb || atomic_exchange(&tb->busy, 1))
        return 0;
    int saved = errno;
    ls_guard++;
    struct life *l = &lives[ls_sl_index(lk)];
    uint32_t gen = ls_sl_gen(lk);
    uintptr_t a = atomic_load(&lk->addr);
    int global = mem_cached(l, a) == LS_SLMEM_GLOBAL;
    struct side w = {t->tid, t->vc.v[t->tid], 0, call, ret};
    w.stack = stack_now(tb, ret);
    int raced = 0;
    if (global && l->tid && l->fork == fork_gen && l->tid != t->tid &&
        !knows(t, l->tid, l->epoch)) {
        struct side o = {l->tid, l->epoch, l->stack, l->call, l->ret};
        report(lk, &w, &o, LS_SLR_OTHER_FIRST | LS_SLR_OTHER_WRITE);
        raced = 1;
    }
    if (!raced && (global || destroy))
        raced = check_uses(t, lk, gen, &w, destroy && lk->kind == LS_SYNC_BARRIER);
    l->tid = t->tid;
    l->epoch = w.epoch;
    l->stack = w.stack;
    l->call = call;
    l->ret = ret;
    l->fork = fork_gen;
    l->destroyed = (uint8_t)(destroy != 0);
    __atomic_store_n(&lk->w.sl_gen, gen + 1, __ATOMIC_RELEASE);
    ls_guard--;
    errno = saved;
    atomic_store(&tb->busy, 0);
    return raced;
}

int ls_sl_write_obj(const void *obj, uint32_t kind, uint32_t call, uint64_t ret, int destroy)
{
    struct ls_thread *t = ls_self;
    if (!t || ls_guard || !atomic_load_explicit(&ls_active, memory_order_relaxed) ||
        (destroy && !ls_lock_known(obj)))
        return 0;
    return ls_sl_write(t, ls_lock_get(t, obj, kind), call, ret, destroy);
}

void ls_sl_after_fork_child(struct ls_thread *self)
{
    /* The parent's life records name threads and stacks of its file. */
    fork_gen++;
    fork_tid = self ? self->tid : 0;
    alloc_spin.v = 0;
    seen_spin.v = 0;
    memset(seen, 0, sizeof seen);
    struct ls_sl_table *tb = self ? atomic_load(&self->sl) : NULL;
    if (tb) {
        memset(tb->e, 0, (tb->mask + 1) * sizeof tb->e[0]);
        tb->busy = 0;
    }
}
