/*
 * Misuse records, and what they need to know about the other threads: who
 * holds a lock, who waits on a condvar, semaphore or barrier, and where.
 *
 * Other threads' held stacks and waits are read without a lock (as the
 * live-deadlock search does): a misuse is reported once per site, and what
 * names the other side is only read while that side is blocked or holding
 * the object, when it does not change.
 */
#define _GNU_SOURCE
#include "hot.h"

#include <errno.h>
#include <string.h>

__thread uint32_t ls_outer_call;
_Atomic int ls_owner_died;

#define MISUSE_SEEN 512
static struct {
    uint64_t key;
    uint32_t rule;
} misuse_seen[MISUSE_SEEN];
static struct ls_spin misuse_spin;

static int misuse_first(uint32_t rule, uint64_t key)
{
    uint32_t h = (uint32_t)ls_mix64(key ^ rule) & (MISUSE_SEEN - 1);
    int first = 0;
    ls_spin_lock(&misuse_spin);
    for (uint32_t i = 0; i < MISUSE_SEEN; i++) {
        uint32_t k = (h + i) & (MISUSE_SEEN - 1);
        if (misuse_seen[k].key == key && misuse_seen[k].rule == rule)
            break;
        if (misuse_seen[k].key == 0) {
            misuse_seen[k].key = key;
            misuse_seen[k].rule = rule;
            first = 1;
            break;
        }
    }
    ls_spin_unlock(&misuse_spin);
    return first;
}

void ls_misuse_ex(struct ls_thread *t, const struct ls_misuse_info *m)
{
    uint64_t ret = m->ret;
    if (ls_outer_ret) /* a C11 wrapper's caller: the program's own site */
        ret = ls_outer_ret;
    uint32_t call = ls_outer_call ? ls_outer_call : m->call;
    /* Once per rule, call site and lock: one thin wrapper (my_unlock(m)) is
     * one call site for every lock passed through it. */
    uint64_t key = m->key ? m->key : ret ^ ls_mix64((uint64_t)(uintptr_t)m->lk);
    if (!misuse_first(m->rule, key ? key : ret))
        return;
    int saved = errno;
    ls_guard++;
    uint32_t lock_stack = 0;
    if (m->lk && !m->tid) {
        for (uint32_t i = 0; i < t->nheld; i++)
            if (t->held[i].lk == m->lk) {
                if (!t->held[i].stack || t->held[i].stack_gen != ls_file_gen)
                    ls_capture_wait_stacks(t);
                lock_stack = t->held[i].stack;
            }
    }
    if (m->lk)
        ls_lock_ensure_written(m->lk);
    if (m->lk2)
        ls_lock_ensure_written(m->lk2);
    struct ls_rec_misuse r = {
        .rule = m->rule,
        .tid = m->tid ? m->tid : t->tid,
        .lock = m->lk ? ls_lock_id(m->lk) : 0,
        .stack = m->stack ? m->stack : ls_stack_here(),
        .lock_stack = lock_stack,
        .result = m->result,
        .call = call,
        .other_tid = m->other_tid,
        .other_stack = m->other_stack,
        .lock2 = m->lk2 ? ls_lock_id(m->lk2) : 0,
        .value = m->value,
    };
    ls_writer_record(LS_REC_MISUSE, &r, sizeof r, NULL, 0, NULL, 0);
    ls_guard--;
    errno = saved;
}

void ls_misuse(struct ls_thread *t, uint32_t rule, struct ls_lock *lk, uint64_t ret, int result)
{
    struct ls_misuse_info m = {.rule = rule, .lk = lk, .ret = ret, .result = result};
    ls_misuse_ex(t, &m);
}

void ls_call_error(struct ls_thread *t, uint32_t call, struct ls_lock *lk, uint64_t ret, int err)
{
    struct ls_misuse_info m = {
        .rule = LS_MISUSE_CALL_ERROR, .call = call, .lk = lk, .ret = ret, .result = err};
    ls_misuse_ex(t, &m);
}

/* ---- the other side ------------------------------------------------------ */

static uint32_t one_frame(uint64_t ip)
{
    if (!ip)
        return 0;
    ls_guard++;
    uint32_t id = ls_stack_intern(&ip, 1);
    ls_guard--;
    return id;
}

/* Where u took lk: its full acquisition stack if it was captured for this
 * file, else the acquiring call's return address. */
static int held_site(struct ls_thread *u, struct ls_lock *lk, uint32_t *stack)
{
    uint32_t n = u->nheld;
    if (n > LS_MAX_HELD)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        struct ls_held h = u->held[i];
        if (h.lk != lk)
            continue;
        if (stack)
            *stack = h.stack && h.stack_gen == ls_file_gen ? h.stack : one_frame(h.ret_ip);
        return 1;
    }
    return 0;
}

int ls_os_tid_alive(uint32_t os_tid)
{
    if (!os_tid)
        return 0;
    for (uint32_t i = 0, n = ls_registry_size(); i < n; i++) {
        struct ls_thread *u = ls_registry_slot(i);
        if (u && u->os_tid == os_tid)
            return 1;
    }
    return 0;
}

struct ls_thread *ls_holder_of(struct ls_thread *self, struct ls_lock *lk, uint32_t owner_os_tid,
                               uint32_t *stack)
{
    uint32_t n = ls_registry_size();
    if (owner_os_tid) {
        for (uint32_t i = 0; i < n; i++) {
            struct ls_thread *u = ls_registry_slot(i);
            if (u && u != self && u->os_tid == owner_os_tid) {
                if (!held_site(u, lk, stack) && stack)
                    *stack = 0;
                return u;
            }
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        struct ls_thread *u = ls_registry_slot(i);
        if (u && u != self && held_site(u, lk, stack))
            return u;
    }
    return NULL;
}

struct ls_thread *ls_waiter_on(struct ls_thread *self, const void *obj, const void *not_mutex,
                               uint32_t *stack)
{
    for (uint32_t i = 0, n = ls_registry_size(); i < n; i++) {
        struct ls_thread *u = ls_registry_slot(i);
        if (!u || u == self || atomic_load_explicit(&u->in_obj, memory_order_acquire) != obj)
            continue;
        if (not_mutex && u->in_mutex == not_mutex)
            continue;
        if (stack) {
            /* a published wait has the whole stack; else the call's site */
            uint32_t st = 0;
            if (atomic_load(&u->wait_kind) && u->wait_obj == obj &&
                atomic_load_explicit(&u->wait_published, memory_order_acquire))
                st = atomic_load(&u->wait_stack);
            *stack = st ? st : one_frame(u->in_ret);
        }
        return u;
    }
    return NULL;
}

uint32_t ls_count_waiters(struct ls_thread *self, const void *obj)
{
    uint32_t c = 0;
    for (uint32_t i = 0, n = ls_registry_size(); i < n; i++) {
        struct ls_thread *u = ls_registry_slot(i);
        if (u && u != self && atomic_load_explicit(&u->in_obj, memory_order_acquire) == obj)
            c++;
    }
    return c;
}

int ls_held_inherited(struct ls_thread *t, struct ls_lock *lk)
{
    struct ls_held *h = ls_held_find(t, lk);
    return h && h->inherited;
}

/* ---- robust mutexes ------------------------------------------------------- */

/* glibc keeps PTHREAD_MUTEX_ROBUST_NORMAL_NP (16) in __kind for every robust
 * type.  The mutex is held by the caller: its memory is the program's live
 * object. */
static int robust(const struct ls_lock *lk)
{
    if (lk->kind != LS_LOCK_MUTEX && lk->kind != LS_LOCK_MUTEX_RECURSIVE &&
        lk->kind != LS_LOCK_MUTEX_ERRORCHECK)
        return 0;
    const pthread_mutex_t *m = (const pthread_mutex_t *)atomic_load(&lk->addr);
    return m && (m->__data.__kind & 16) != 0;
}

struct ls_held *ls_held_blocking(struct ls_thread *t)
{
    for (uint32_t i = 0; i < t->nheld && i < LS_MAX_HELD; i++)
        if (!robust(t->held[i].lk) && !ls_lock_is_py(t->held[i].lk))
            return &t->held[i]; /* (a Python thread may end holding a Lock: legal there) */
    return NULL;
}

/* ---- fork ------------------------------------------------------------------
 * Only the forking thread exists in the child: the other threads' waits
 * were copied into the objects' waiter counts and are gone. */
void ls_misuse_after_fork_child(struct ls_thread *self)
{
    /* the child's file records its own misuse, even at sites the parent's
     * file has (and another thread may have held the spinlock) */
    misuse_spin.v = 0;
    memset(misuse_seen, 0, sizeof misuse_seen);
    if (self)
        for (uint32_t i = 0; i < self->nheld && i < LS_MAX_HELD; i++)
            self->held[i].inherited = 1;
    for (uint32_t i = 0, n = ls_registry_size(); i < n; i++) {
        struct ls_thread *u = ls_registry_slot(i);
        const void *obj = u && u != self ? atomic_load(&u->in_obj) : NULL;
        if (!obj)
            continue;
        struct ls_lock *o = ls_lock_at_home(obj);
        if (!o && ls_lock_known(obj))
            o = ls_lock_get_slow(obj, 0);
        if (o) {
            atomic_store(&o->waiters, 0);
            atomic_store(&o->woken, 0);
            atomic_store(&o->cond_mutex, 0);
        }
        atomic_store(&u->in_obj, NULL);
    }
}

/* ---- deferred records ------------------------------------------------------ */

void ls_deferred_misuse(struct ls_thread *t)
{
    if (!t || !t->deferred_ret)
        return;
    uint64_t ret = t->deferred_ret;
    t->deferred_ret = 0;
    struct ls_lock *o = ls_lock_get(t, t->deferred_obj, LS_SYNC_SEM);
    struct ls_misuse_info m = {
        .rule = LS_MISUSE_CALL_ERROR,
        .call = LS_CALL_SEM_POST,
        .lk = o,
        .ret = ret,
        .result = t->deferred_err,
    };
    /* the stack is gone by now: the call's site stands for it */
    m.stack = one_frame(ret);
    ls_misuse_ex(t, &m);
}

/* A thread ended inside a wait (cancelled in pthread_cond_wait or sem_wait,
 * both cancellation points): the wrapper's bookkeeping after the wait never
 * ran, so it is done here. */
void ls_misuse_thread_gone(struct ls_thread *t)
{
    const void *obj = atomic_load(&t->in_obj);
    if (!obj)
        return;
    atomic_store(&t->in_obj, NULL);
    struct ls_lock *o = ls_lock_at_home(obj);
    if (!o && ls_lock_known(obj))
        o = ls_lock_get_slow(obj, 0);
    if (!o || (o->kind != LS_SYNC_COND && o->kind != LS_SYNC_SEM))
        return;
    int w = atomic_load(&o->waiters);
    while (w > 0 && !atomic_compare_exchange_weak(&o->waiters, &w, w - 1))
        ;
    if (w == 1 && o->kind == LS_SYNC_COND)
        atomic_store(&o->cond_mutex, 0);
    int k = atomic_load(&o->woken);
    while (k > 0 && k > w - 1 && !atomic_compare_exchange_weak(&o->woken, &k, k - 1))
        ;
}
