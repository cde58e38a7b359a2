/*
 * The sync objects' own lifetime (synclife.c): pthread_*_init, *_destroy,
 * sem_init and sem_destroy write the object, every other call on it reads
 * it, and an init or destroy that happens-before does not order against
 * another thread's use is a data race on the object (LS_REC_SYNC_RACE).
 *
 * Every call is checked, none sampled:
 *  - a use checks, the first time this thread uses this generation of the
 *    object (its last init or destroy), that it knows that init/destroy's
 *    epoch: one clock component compared;
 *  - an init or destroy checks that it knows the epoch of every other
 *    thread's last use since the previous init/destroy, read from the
 *    threads' own tables.
 * A use by a thread already seen since the last init/destroy costs a probe
 * of its own table (one cache line of its own) and two stores into it: no
 * shared write, no syscall, no allocation.  The objects' generations sit
 * in a hole of the lock entry's first line; their life records (cold) live
 * beside the lock table, at the same index, so the entries keep their
 * layout.
 */
#ifndef LS_SYNCLIFE_H
#define LS_SYNCLIFE_H

#include "shim.h"

/* Entries of a thread's table: LS_SL_FIRST, then LS_SL_SEEN once it keeps
 * evicting entries (a thread that uses more objects than it has slots),
 * so that a thread using a few objects keeps a table of a page or two. */
#define LS_SL_FIRST 128u
#define LS_SL_SEEN 1024u

/* A thread's last use of one object generation.  Written only by the
 * thread; read by a thread that initializes or destroys the object
 * (entry `lk` is cleared while the others change: a reader reads lk
 * before and after and drops the entry if it moved). */
struct ls_sl_seen {
    struct ls_lock *_Atomic lk;
    _Atomic uint32_t gen;     /* the object's generation when first used */
    _Atomic uint32_t epoch;   /* the thread's epoch at its last use; 0: only waited on it */
    _Atomic uint64_t ret;     /* where its last use was called */
    _Atomic uint32_t stack;   /* the first use's stack (0: not taken) */
    _Atomic uint32_t call;    /* LS_CALL_* of its last use */
    _Atomic uint64_t first_ret; /* where the first use (whose stack it is) was called */
};

struct ls_sl_table {
    _Atomic uint32_t tid;     /* the thread its entries are of (the state is recycled) */
    uint32_t budget;          /* full stacks left to take at first uses */
    _Atomic int busy;         /* in the slow path (a sem_post from a signal handler
                                 stays out) */
    uint32_t mask;            /* entries - 1 */
    uint32_t evictions;       /* entries given to another object */
    uint32_t reserved[3];
    struct ls_sl_seen e[];    /* mask + 1 of them */
};

static inline uint32_t ls_sl_index(const struct ls_lock *lk)
{
    return (uint32_t)(lk - ls_lock_table);
}

/* The entry of lk in table tb (lock entries are 256 bytes apart). */
static inline uint32_t ls_sl_slot(const struct ls_sl_table *tb, const struct ls_lock *lk)
{
    return (uint32_t)((uintptr_t)lk >> 8) & tb->mask;
}

/* The object's generation, bumped by every init and destroy: on the lock
 * entry's first line, which the call reads anyway. */
static inline uint32_t ls_sl_gen(const struct ls_lock *lk)
{
    return __atomic_load_n(&lk->w.sl_gen, __ATOMIC_ACQUIRE);
}

enum { LS_SLU_WAIT = 1, LS_SLU_ASYNC = 2 };
void ls_sl_use_slow(struct ls_thread *t, struct ls_lock *lk, uint32_t call, uint64_t ret,
                    int how) LS_HIDDEN;

static inline struct ls_sl_seen *ls_sl_hit(struct ls_thread *t, struct ls_lock *lk)
{
    struct ls_sl_table *tb = atomic_load_explicit(&t->sl, memory_order_relaxed);
    if (unlikely(!tb))
        return NULL;
    struct ls_sl_seen *e = &tb->e[ls_sl_slot(tb, lk)];
    uint32_t gen = ls_sl_gen(lk);
    if (likely(atomic_load_explicit(&e->lk, memory_order_relaxed) == lk &&
               atomic_load_explicit(&e->gen, memory_order_relaxed) == gen))
        return e;
    return NULL;
}

/* Another use, at epoch, of the generation entry e (from ls_sl_hit) is of. */
static inline void ls_sl_used(struct ls_sl_seen *e, uint32_t epoch, uint64_t ret, uint32_t call)
{
    atomic_store_explicit(&e->epoch, epoch, memory_order_relaxed);
    atomic_store_explicit(&e->ret, ret, memory_order_relaxed);
    atomic_store_explicit(&e->call, call, memory_order_relaxed);
}

/* A use of lk (lock, unlock, signal, post, barrier arrival...) at call site
 * ret.  Before any release the call makes: the epoch recorded is the one
 * that release publishes. */
static inline void ls_sl_use(struct ls_thread *t, struct ls_lock *lk, uint32_t call, uint64_t ret)
{
    const uint32_t *v = t->vc.v;
    struct ls_sl_seen *e = ls_sl_hit(t, lk);
    if (likely(e && v)) {
        ls_sl_used(e, v[t->tid], ret, call);
        return;
    }
    ls_sl_use_slow(t, lk, call, ret, 0);
}

/* A wait on lk (condvar, semaphore): checked against the object's
 * init/destroy, but an init or destroy after it is no race with it (a
 * woken waiter may still be on its way out: glibc waits for it, POSIX
 * allows it). */
static inline void ls_sl_wait(struct ls_thread *t, struct ls_lock *lk, uint32_t call, uint64_t ret)
{
    if (likely(ls_sl_hit(t, lk) != NULL))
        return;
    ls_sl_use_slow(t, lk, call, ret, LS_SLU_WAIT);
}

/* sem_post, which may run in a signal handler: async-signal-safe (no
 * check against the init, no stack). */
static inline void ls_sl_use_async(struct ls_thread *t, struct ls_lock *lk, uint32_t call,
                                   uint64_t ret)
{
    const uint32_t *v = t->vc.v;
    struct ls_sl_seen *e = ls_sl_hit(t, lk);
    if (likely(e && v)) {
        atomic_store_explicit(&e->epoch, v[t->tid], memory_order_relaxed);
        atomic_store_explicit(&e->ret, ret, memory_order_relaxed);
        atomic_store_explicit(&e->call, call, memory_order_relaxed);
        return;
    }
    ls_sl_use_slow(t, lk, call, ret, LS_SLU_ASYNC);
}

/* An init (destroy = 0) or destroy of lk at call site ret, by t: checked
 * against the uses and the init/destroy before it, then the object's new
 * generation begins.  Returns 1 if a race was reported. */
int ls_sl_write(struct ls_thread *t, struct ls_lock *lk, uint32_t call, uint64_t ret,
                int destroy) LS_HIDDEN;
/* The same for an object by address (a destroy: only one the shim has
 * seen), from a wrapper that has not looked the calling thread up. */
int ls_sl_write_obj(const void *obj, uint32_t kind, uint32_t call, uint64_t ret,
                    int destroy) LS_HIDDEN;

/* A wait on the object at obj, if the shim has an entry for it. */
static inline void ls_sl_wait_obj(struct ls_thread *t, const void *obj, uint32_t call,
                                  uint64_t ret)
{
    struct ls_lock *o = ls_lock_at_home(obj);
    if (o)
        ls_sl_wait(t, o, call, ret);
}

/* In a forked child: only the forking thread is left. */
void ls_sl_after_fork_child(struct ls_thread *self) LS_HIDDEN;

#endif
