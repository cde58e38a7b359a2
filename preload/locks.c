/*
 * Locks, the held-lock stack and lock-order edges.
 *
 * Hot path (an acquisition whose edges this thread has seen before): a
 * per-thread direct-mapped lookup of the lock, a scan of the held stack for
 * recursion, one probe of the per-thread edge cache per held lock, a push.
 * No syscall, no malloc, no unwinding, no shared writes.  An edge the
 * cache misses is looked up in the process's lock-order table (edges.c):
 * atomic loads, no lock, no syscall.  Only an edge new to the process (a
 * new lock, a new pair or context) takes the slow path, which unwinds,
 * interns the stacks and writes records.
 */
#define _GNU_SOURCE
#include "edges.h"
#include "hot.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define TABLE_SIZE (1u << LS_LOCK_TABLE_BITS)
#define MAX_PROBE 128

struct ls_lock *ls_lock_table;
static _Atomic uint32_t next_lock_id = 1;
/* Every entry in use, in creation order, for walks at exit. */
static struct ls_lock **all;
static _Atomic uint32_t nall;
static struct ls_spin table_init_spin;

static struct ls_lock *table_get(void)
{
    struct ls_lock *tb = __atomic_load_n(&ls_lock_table, __ATOMIC_ACQUIRE);
    if (likely(tb))
        return tb;
    ls_spin_lock(&table_init_spin);
    if (!ls_lock_table) {
        /* Reserved, not committed: pages appear as locks land in them. */
        void *p = mmap(NULL, (size_t)TABLE_SIZE * sizeof(struct ls_lock), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        void *q = mmap(NULL, (size_t)TABLE_SIZE * sizeof *all, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED && q != MAP_FAILED) {
            all = q;
            __atomic_store_n(&ls_lock_table, (struct ls_lock *)p, __ATOMIC_RELEASE);
        }
    }
    ls_spin_unlock(&table_init_spin);
    return ls_lock_table;
}

/* Probe i of a lock: its home slot first (ls_lock_slot, which keeps
 * neighbours in memory neighbours in the table), then slots drawn from a
 * hash of the address and i.  Keys that share a home slot (two 4-byte
 * spinlocks in one 8-byte word, objects exactly 8 MB apart) then part ways
 * at once, and no probe sequence walks along a densely filled stretch (as
 * linear probing, or double hashing with an unlucky small step, does). */
static inline uint32_t probe_slot(uintptr_t addr, int i)
{
    if (i == 0)
        return ls_lock_slot(addr);
    return (uint32_t)ls_mix64(addr ^ ((uint64_t)i * 0x9E3779B97F4A7C15ULL)) & (TABLE_SIZE - 1);
}

static struct ls_lock *table_find_or_add(uintptr_t addr, uint32_t kind)
{
    struct ls_lock *tb = table_get();
    if (!tb)
        return NULL;
    for (int i = 0; i < MAX_PROBE; i++) {
        struct ls_lock *e = &tb[probe_slot(addr, i)];
        uintptr_t cur = atomic_load_explicit(&e->addr, memory_order_acquire);
        if (cur == addr)
            return e;
        if (cur == 0) {
            uintptr_t zero = 0;
            if (atomic_compare_exchange_strong(&e->addr, &zero, addr)) {
                e->kind = kind;
                uint32_t k = atomic_fetch_add(&nall, 1);
                if (k < TABLE_SIZE)
                    __atomic_store_n(&all[k], e, __ATOMIC_RELEASE);
                return e;
            }
            if (zero == addr)
                return e;
        }
    }
    static _Atomic int warned;
    if (!atomic_exchange(&warned, 1)) {
        ls_warn("lockscope: warning: lock table full; further locks are not tracked");
        ls_writer_note(LS_NOTE_DROPPED, "lock table full; further locks are not tracked");
    }
    return NULL;
}

void ls_locks_for_each(void (*fn)(struct ls_lock *))
{
    uint32_t n = atomic_load(&nall);
    for (uint32_t i = 0; i < n && i < TABLE_SIZE; i++) {
        struct ls_lock *e = __atomic_load_n(&all[i], __ATOMIC_ACQUIRE);
        if (e)
            fn(e);
    }
}

int ls_lock_known(const void *addr)
{
    struct ls_lock *tb = __atomic_load_n(&ls_lock_table, __ATOMIC_ACQUIRE);
    if (!tb)
        return 0;
    uintptr_t a = (uintptr_t)addr;
    for (int i = 0; i < MAX_PROBE; i++) {
        uintptr_t cur = atomic_load_explicit(&tb[probe_slot(a, i)].addr, memory_order_acquire);
        if (cur == a)
            return 1;
        if (cur == 0)
            return 0;
    }
    return 0;
}

struct ls_lock *ls_lock_get_slow(const void *addr, uint32_t kind)
{
    return table_find_or_add((uintptr_t)addr, kind);
}

/* What every acquisition touches shares the entry's first line; the clock
 * it joins starts the second, in the same 128-byte pair. */
_Static_assert(offsetof(struct ls_lock, w.clk.v) + sizeof(uint32_t *) <= 64, "hot line");
_Static_assert(offsetof(struct ls_lock, w.clk.inl) + sizeof(uint32_t) * LS_VC_INLINE <= 128,
               "hot pair");
_Static_assert(sizeof(struct ls_lock) % 128 == 0, "entries pair lines");

static void write_lock_record(struct ls_lock *lk, uint32_t id)
{
    struct ls_rec_lock r = {
        .id = id,
        .kind = lk->kind,
        .addr = atomic_load(&lk->addr),
        .init_stack = lk->init_stack,
        .first_stack = lk->first_stack,
    };
    lk->written_gen = ls_file_gen;
    ls_writer_record(LS_REC_LOCK, &r, sizeof r, NULL, 0, NULL, 0);
}

/* Assigns the lock's id on first use of this generation: a new lock site,
 * so its stack is worth capturing. */
uint32_t ls_lock_id_slow(struct ls_lock *lk)
{
    int saved = errno;
    ls_guard++;
    uint32_t stack = ls_stack_here();
    ls_spin_lock(&lk->spin);
    uint32_t id = atomic_load(&lk->id);
    if (id == 0) {
        id = atomic_fetch_add(&next_lock_id, 1);
        if (!lk->init_stack)
            lk->first_stack = stack;
        else
            lk->first_stack = 0;
        write_lock_record(lk, id);
        atomic_store(&lk->id, id);
    }
    ls_spin_unlock(&lk->spin);
    ls_guard--;
    errno = saved;
    return id;
}

void ls_lock_ensure_written(struct ls_lock *lk)
{
    if (lk->written_gen == ls_file_gen)
        return;
    ls_spin_lock(&lk->spin);
    uint32_t id = atomic_load(&lk->id);
    if (id && lk->written_gen != ls_file_gen) {
        /* Written again into a forked child's file: its stack ids were the
         * parent's file's, meaningless here. */
        lk->init_stack = 0;
        lk->first_stack = 0;
        write_lock_record(lk, id);
    }
    ls_spin_unlock(&lk->spin);
}

void ls_lock_init_event(struct ls_lock *lk, uint32_t kind)
{
    int saved = errno;
    ls_guard++;
    uint32_t stack = ls_stack_here();
    ls_spin_lock(&lk->spin);
    lk->kind = kind;
    lk->init_stack = stack;
    lk->first_stack = 0;
    atomic_store(&lk->id, 0); /* a new generation; its id comes with first use */
    ls_spin_unlock(&lk->spin);
    ls_guard--;
    errno = saved;
}

void ls_lock_destroy_event(struct ls_lock *lk)
{
    ls_profile_destroyed(lk);
    ls_spin_lock(&lk->spin);
    atomic_store(&lk->id, 0);
    lk->init_stack = 0;
    ls_spin_unlock(&lk->spin);
}

void ls_locks_after_fork_child(void)
{
    table_init_spin.v = 0;
    /* Lock records are written again, lazily, when an edge names them
     * (written_gen no longer matches ls_file_gen). */
}

/* ---- the per-thread edge cache ---------------------------------------- */

/* A direct-mapped cache of the (from, to, held-set) edges this thread saw
 * last, in front of the process's table (edges.c): one probe, and a miss
 * costs only a look into that table. */
static inline uint32_t edge_hash(uint64_t key, uint64_t hh, uint32_t cap)
{
    return (uint32_t)ls_mix64(key ^ (hh * 0x9E3779B97F4A7C15ULL)) & (cap - 1);
}

static inline int edge_seen(const struct ls_thread *t, uint64_t key, uint64_t hh)
{
    const struct ls_edge_slot *s = &t->edges[edge_hash(key, hh, t->edge_cap)];
    return s->key == key && s->hh == hh;
}

static void edge_insert(struct ls_thread *t, uint64_t key, uint64_t hh)
{
    struct ls_edge_slot *s = &t->edges[edge_hash(key, hh, t->edge_cap)];
    s->key = key;
    s->hh = hh;
}

/* ---- acquire / release ------------------------------------------------- */

#define TO_READ_SALT 0x5bd1e9955bd1e995ULL

/* Where held lock h was acquired: its return address, then the frames of
 * the current stack that enclose the acquiring call.  While the function
 * that took h is still running (the usual case: it now takes another lock)
 * its frame has the same stack pointer as then, so the result is exact;
 * otherwise the outer frames show where its caller is now (flagged). */
static void held_stack(struct ls_held *h, const struct ls_frame_sp *cur, int n)
{
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    int k = 0, i = 0;
    ips[k++] = h->ret_ip;
    while (i < n && cur[i].sp < h->cfa)
        i++;
    h->approx = 0;
    if (i < n && cur[i].sp == h->cfa)
        i++; /* same frame as then: its return address is ret_ip */
    else if (i < n)
        h->approx = 1;
    for (; i < n && k < ls_opt.stack_depth; i++)
        ips[k++] = cur[i].ip;
    h->stack = ls_stack_intern(ips, k);
    h->stack_gen = (uint16_t)ls_file_gen;
}

uint32_t ls_capture_wait_stacks(struct ls_thread *t)
{
    int saved = errno;
    struct ls_frame_sp cur[LS_TRACE_MAX_FRAMES];
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    if (ls_site_stack) {
        /* A Python lock: its held stacks were set when it was taken. */
        errno = saved;
        return ls_site_stack;
    }
    int n = ls_unwind(cur, (int)LS_TRACE_MAX_FRAMES);
    int kept = n < ls_opt.stack_depth ? n : ls_opt.stack_depth;
    for (int i = 0; i < kept; i++)
        ips[i] = cur[i].ip;
    uint32_t here = ls_stack_intern(ips, kept);
    ls_held_stacks_from(t, cur, n);
    errno = saved;
    return here;
}

void ls_held_stacks_from(struct ls_thread *t, const struct ls_frame_sp *cur, int n)
{
    for (uint32_t i = 0; i < t->nheld && i < LS_MAX_HELD; i++) {
        struct ls_held *h = &t->held[i];
        if (!h->stack || h->stack_gen != ls_file_gen)
            held_stack(h, cur, n);
    }
}

/* held h's stack when the current call comes from the same activation of
 * the same function that took h (same caller stack pointer, same function):
 * h's return address, then the current stack's outer frames.  Exact, and
 * needs no step-by-step unwind.  to_stack: ips[0..n) interned (0: not). */
static int held_stack_fast(struct ls_thread *t, struct ls_held *h, const uint64_t *ips, int n,
                           uint64_t cfa, uint32_t to_stack)
{
    if (h->cfa != cfa || n == 0 || !ls_same_function(h->ret_ip, ips[0]))
        return 0;
    uint64_t from[LS_TRACE_MAX_FRAMES];
    int k = 0;
    from[k++] = h->ret_ip;
    for (int i = 1; i < n && k < ls_opt.stack_depth; i++)
        from[k++] = ips[i];
    h->stack = ls_edge_stack(t, 1, from, k);
    h->stack_gen = (uint16_t)ls_file_gen;
    h->approx = 0;
    ls_edge_from_keep(t, to_stack, h->ret_ip, h->stack);
    return 1;
}

/* Edges from the held locks to lk that this thread's cache does not have:
 * those that are new to the process's table (a new pair, or a new context
 * of one) are written, with their stacks (unwound only then). */
static void new_edges(struct ls_thread *t, struct ls_lock *lk, uint32_t id, int flags,
                      uint64_t ret, uint64_t cfa, uint64_t hh)
{
    int saved = errno;
    ls_guard++;
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    int kept = -1; /* the fast unwind, done once an edge is to be written */
    int have_ips = 0; /* ips hold the kept frames (from a site: copied when needed) */
    uint32_t to_stack = 0;
    /* the frames of an earlier acquisition from this call, if they hold */
    const struct ls_wait_site *site = NULL;
    struct ls_frame_sp cur[LS_TRACE_MAX_FRAMES];
    const struct ls_frame_sp *curp = cur;
    int ncur = -1; /* the slow unwind, done at most once and only if needed */
    uint32_t other[LS_MAX_HELD];
    for (uint32_t i = 0; i < t->nheld; i++) {
        struct ls_held *h = &t->held[i];
        uint64_t key = ((uint64_t)h->id << 32) | id;
        if (edge_seen(t, key, hh))
            continue;
        edge_insert(t, key, hh);
        uint64_t others = hh ^ h->mix;
        int timed = (flags & LS_ACQ_TIMED) != 0;
        uint64_t sig = ls_pedge_signature(t->tid, t->epoch, others, (int)h->read, timed);
        int seen = others == 0 && !h->read && !timed ? ls_pedge_note_plain(t, h->id, id, sig)
                                                      : ls_pedge_note(h->id, id, sig, t->tid);
        if (seen != LS_PEDGE_NEW)
            continue;
        if (kept < 0) {
            site = ls_site_stack ? NULL : ls_edge_site(t, ret, cfa);
            if (site) {
                kept = (int)site->n < ls_opt.stack_depth ? (int)site->n : ls_opt.stack_depth;
                to_stack = site->stack; /* (its ips are copied only if needed) */
            } else {
                kept = ls_site_stack ? 0 : ls_backtrace(ips, ls_opt.stack_depth);
                to_stack = ls_site_stack ? ls_site_stack : ls_edge_stack(t, 0, ips, kept);
                have_ips = 1;
            }
            ls_lock_ensure_written(lk);
        }
        if (!h->stack || h->stack_gen != ls_file_gen) {
            uint32_t memo =
                kept > 0 && h->cfa == cfa ? ls_edge_from_memo(t, to_stack, h->ret_ip) : 0;
            if (memo) {
                /* what held_stack_fast made from the same two calls last time */
                h->stack = memo;
                h->stack_gen = (uint16_t)ls_file_gen;
                h->approx = 0;
            } else {
                if (!have_ips) {
                    for (int k = 0; k < kept; k++)
                        ips[k] = site->f[k].ip;
                    have_ips = 1;
                }
                if (!held_stack_fast(t, h, ips, kept, cfa, to_stack)) {
                    if (ncur < 0 && site) {
                        curp = site->f;
                        ncur = (int)site->n;
                    } else if (ncur < 0) {
                        ncur = ls_unwind(cur, (int)LS_TRACE_MAX_FRAMES);
                    }
                    held_stack(h, curp, ncur);
                }
            }
        }
        ls_lock_ensure_written(h->lk);
        uint32_t nother = 0;
        for (uint32_t j = 0; j < t->nheld; j++)
            if (j != i)
                other[nother++] = t->held[j].id;
        uint32_t eflags = ((flags & LS_ACQ_TIMED) ? LS_EDGE_TIMED : 0) |
                          (h->approx ? LS_EDGE_FROM_APPROX : 0) |
                          (h->read ? LS_EDGE_FROM_READ : 0) |
                          ((flags & LS_ACQ_READ) ? LS_EDGE_TO_READ : 0);
        ls_edge_batch_add(t, h->id, id, h->stack, to_stack, eflags, other, nother);
    }
    ls_guard--;
    errno = saved;
}

int ls_acquire_pre_slow(struct ls_thread *t, struct ls_lock *lk, int flags, uint64_t ret,
                        uint64_t cfa)
{
    uint32_t id = ls_lock_id(lk);
    uint32_t n = t->nheld;
    for (uint32_t i = n; i-- > 0;)
        if (t->held[i].lk == lk && t->held[i].id == id)
            return t->held[i].read ? LS_HELD_READ : LS_HELD_WRITE;
    if ((flags & LS_ACQ_TRY) || n == 0)
        return 0;
    uint64_t hh = ls_heldhash(t) ^ ((flags & LS_ACQ_READ) ? TO_READ_SALT : 0);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t key = ((uint64_t)t->held[i].id << 32) | id;
        if (unlikely(!edge_seen(t, key, hh))) {
            /* One lock held, in the plain context, and a pair the thread's
             * filter has: all new_edges would do is put it in the cache
             * (a program taking many pairs misses the cache nearly always) */
            struct ls_held *h = &t->held[0];
            if (n == 1 && hh == h->mix && !h->read && !(flags & LS_ACQ_TIMED) &&
                ls_pedge_plain_seen(t, h->id, id)) {
                edge_insert(t, key, hh);
                break;
            }
            new_edges(t, lk, id, flags, ret, cfa, hh);
            break;
        }
    }
    return 0;
}

/* Happens-before of a lock: what the last holder released (a writer's, or
 * for a writer also every reader's) is known to the new holder. */
static inline void hb_acquired(struct ls_thread *t, struct ls_lock *lk, int read)
{
    if (read) {
        ls_spin_lock(&lk->spin);
        ls_clock_acquire(t, &lk->w);
        ls_spin_unlock(&lk->spin);
        return;
    }
    ls_clock_acquire(t, &lk->w);
    if (unlikely(lk->kind == LS_LOCK_RWLOCK))
        ls_clock_acquire(t, &lk->rd);
}

static inline void hb_releasing(struct ls_thread *t, struct ls_lock *lk, int read)
{
    if (read) {
        ls_spin_lock(&lk->spin);
        ls_clock_release_join(t, &lk->rd);
        ls_spin_unlock(&lk->spin);
        return;
    }
    ls_clock_release(t, &lk->w);
}

void ls_acquire_post_slow(struct ls_thread *t, struct ls_lock *lk, int flags, uint64_t ret,
                          uint64_t cfa)
{
    uint32_t id = ls_lock_id(lk);
    uint32_t n = t->nheld;
    for (uint32_t i = n; i-- > 0;)
        if (t->held[i].lk == lk && t->held[i].id == id) {
            t->held[i].count++;
            return;
        }
    if (unlikely(n == LS_MAX_HELD)) {
        /* Warned once a process: each thread goes over the bound again at
         * every round of a loop that nests that deep. */
        static _Atomic int warned;
        if (t->overflow++ == 0 && !atomic_exchange(&warned, 1)) {
            ls_warn("lockscope: warning: a thread holds more than %d locks; deeper ones are "
                    "not tracked",
                    LS_MAX_HELD);
            ls_writer_note(LS_NOTE_DROPPED, "held-lock stack full; deeper locks not tracked");
        }
        return;
    }
    struct ls_held *h = ls_held_push(t, lk, id, (flags & LS_ACQ_READ) != 0, ret, cfa);
    ls_profile_acquired(t, lk, h, t->last_wait_ns, ret);
    t->last_wait_ns = 0;
    hb_acquired(t, lk, h->read);
}

int ls_release_slow(struct ls_thread *t, struct ls_lock *lk)
{
    uint32_t n = t->nheld;
    for (uint32_t i = n; i-- > 0;) {
        struct ls_held *h = &t->held[i];
        if (h->lk != lk)
            continue;
        if (--h->count > 0)
            return 1;
        ls_profile_released(t, lk, h);
        hb_releasing(t, lk, h->read);
        t->heldhash ^= h->mix;
        if (unlikely(i + 1 < n)) /* released out of order */
            memmove(h, h + 1, (n - i - 1) * sizeof *h);
        t->nheld = n - 1;
        return 1;
    }
    if (t->overflow) {
        t->overflow--;
        return 1;
    }
    return 0;
}

struct ls_held *ls_held_find(struct ls_thread *t, struct ls_lock *lk)
{
    for (uint32_t i = t->nheld; i-- > 0;)
        if (t->held[i].lk == lk)
            return &t->held[i];
    return NULL;
}

/* ---- other synchronization objects ---------------------------------------- */

void ls_sync_release(struct ls_thread *t, const void *obj, uint32_t kind)
{
    struct ls_lock *o = ls_lock_get(t, obj, kind);
    if (!o)
        return;
    ls_spin_lock(&o->spin);
    ls_clock_release_join(t, &o->w);
    ls_spin_unlock(&o->spin);
}

int ls_sync_release_async(struct ls_thread *t, const void *obj, uint32_t kind)
{
    struct ls_lock *o = ls_lock_get(t, obj, kind);
    if (!o || !ls_spin_trylock(&o->spin))
        return -1;
    ls_clock_release_join(t, &o->w);
    ls_spin_unlock(&o->spin);
    return 0;
}

void ls_sync_acquire(struct ls_thread *t, const void *obj, uint32_t kind)
{
    struct ls_lock *o = ls_lock_get(t, obj, kind);
    if (!o)
        return;
    ls_spin_lock(&o->spin);
    ls_clock_acquire(t, &o->w);
    ls_spin_unlock(&o->spin);
}
