/*
 * pthread_create / join / detach / exit: thread identities and the
 * create/join happens-before order (epochs), which lets the analyzer tell
 * threads that can run at the same time from those that cannot.
 */
#define _GNU_SOURCE
#include "shim.h"
#include "watch.h"
#include "wrap.h"

#include <errno.h>
#include <string.h>

#define RET ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* pthread_t -> state of a joinable thread, until it is joined or detached. */
#define MAP_SIZE (1u << 16)
static struct {
    pthread_t th;
    struct ls_thread *t;
} map[MAP_SIZE];
static struct ls_spin map_spin;
static _Atomic uint32_t map_count; /* entries in it (not joined or detached yet) */
#define TOMB ((struct ls_thread *)1)

static uint32_t map_hash(pthread_t th)
{
    uint64_t x = (uint64_t)th;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    return (uint32_t)(x >> 32) & (MAP_SIZE - 1);
}

static int map_put(pthread_t th, struct ls_thread *t)
{
    ls_spin_lock(&map_spin);
    uint32_t h = map_hash(th);
    for (uint32_t i = 0; i < MAP_SIZE; i++) {
        uint32_t k = (h + i) & (MAP_SIZE - 1);
        if (map[k].t == NULL || map[k].t == TOMB) {
            map[k].th = th;
            map[k].t = t;
            atomic_fetch_add(&map_count, 1);
            ls_spin_unlock(&map_spin);
            return 0;
        }
    }
    ls_spin_unlock(&map_spin);
    return -1;
}

static struct ls_thread *map_find(pthread_t th, int take)
{
    ls_spin_lock(&map_spin);
    uint32_t h = map_hash(th);
    for (uint32_t i = 0; i < MAP_SIZE; i++) {
        uint32_t k = (h + i) & (MAP_SIZE - 1);
        if (map[k].t == NULL)
            break;
        if (map[k].t != TOMB && pthread_equal(map[k].th, th)) {
            struct ls_thread *t = map[k].t;
            if (take) {
                map[k].t = TOMB;
                atomic_fetch_sub(&map_count, 1);
            }
            ls_spin_unlock(&map_spin);
            return t;
        }
    }
    ls_spin_unlock(&map_spin);
    return NULL;
}

static void thread_end(struct ls_thread *t, uint32_t exit_stack)
{
    struct ls_held *h = t->nheld ? ls_held_blocking(t) : NULL;
    if (h)
        ls_misuse(t, LS_MISUSE_EXIT_HOLDING, h->lk, h->ret_ip, 0);
    ls_deferred_misuse(t);
    ls_objs_thread_end(t);
    ls_thread_finish(t, exit_stack);
    ls_thread_leave(t);
    ls_thread_life(t, LS_LIFE_EXITED);
}

static void *trampoline(void *arg)
{
    struct ls_thread *t = arg;
    ls_thread_start(t);
    void *ret = t->start_fn(t->start_arg);
    if (ls_self == t)
        thread_end(t, 0);
    return ret;
}

LS_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    LS_ENSURE_REAL(create);
    struct ls_thread *t = ls_enter();
    struct ls_thread *child;
    if (!t || !(child = ls_thread_alloc()))
        return ls_real.create(th, attr, fn, arg);
    ls_guard++;
    /* Python's Thread.start: where in the Python code (the GIL is held). */
    uint32_t py = ls_py_on ? ls_py_here() : 0;
    child->create_stack = py ? py : ls_stack_here();
    ls_guard--;
    child->start_fn = fn;
    child->start_arg = arg;
    child->parent = t->tid;
    child->parent_epoch = t->epoch;
    int detached = 0;
    if (attr)
        pthread_attr_getdetachstate(attr, &detached);
    if (detached == PTHREAD_CREATE_DETACHED)
        atomic_fetch_or(&child->life, LS_LIFE_RELEASED);
    ls_clock_thread_start(child, t);
    ls_clock_tick(t);
    ls_watch_threads_start();
    ls_guard++;
    ls_objs_thread_arg(t, ls_c11_arg(fn, arg), ls_c11_start(fn, arg), child->tid,
                       child->create_stack);
    ls_guard--;
    ls_deadlock_thread_created();
    ls_profile_threads_start();
    t->epoch++;
    int r = ls_real.create(th, attr, trampoline, child);
    if (r != 0) {
        atomic_fetch_or(&child->life, LS_LIFE_RELEASED | LS_LIFE_PUBLISHED);
        ls_thread_life(child, LS_LIFE_EXITED);
        ls_call_error(t, LS_CALL_CREATE, NULL, RET, r);
        return r;
    }
    /* The state cannot be recycled before it is published: the thread may
     * have ended (and detached itself) already. */
    if (detached != PTHREAD_CREATE_DETACHED && !(atomic_load(&child->life) & LS_LIFE_RELEASED)) {
        if (map_put(*th, child) != 0) {
            static _Atomic int warned;
            if (!atomic_exchange(&warned, 1))
                ls_warn("lockscope: warning: too many unjoined threads; joins are not all tracked");
        } else if (atomic_load(&child->life) & LS_LIFE_RELEASED) {
            map_find(*th, 1); /* it detached itself meanwhile */
        }
    }
    ls_thread_life(child, LS_LIFE_PUBLISHED);
    return r;
}

static void joined(struct ls_thread *t, pthread_t th)
{
    struct ls_thread *child = map_find(th, 1);
    if (!child)
        return;
    if (t) {
        ls_guard++;
        struct ls_rec_join r = {
            .joiner = t->tid,
            .joiner_epoch = t->epoch,
            .joined = child->tid,
            .joined_epoch = child->epoch,
            .stack = 0,
        };
        ls_writer_record(LS_REC_JOIN, &r, sizeof r, NULL, 0, NULL, 0);
        ls_clock_join_thread(t, child);
        t->epoch++;
        ls_guard--;
    }
    ls_thread_life(child, LS_LIFE_RELEASED);
}

/* EBUSY and ETIMEDOUT are what a try or timed join is for; any other error
 * (ESRCH, EINVAL, EDEADLK) means the thread is not what the program thinks. */
static void join_failed(uint32_t call, uint64_t ret, int r)
{
    struct ls_thread *t;
    if (r != EBUSY && r != ETIMEDOUT && (t = ls_enter()))
        ls_call_error(t, call, NULL, ret, r);
}

LS_EXPORT int pthread_join(pthread_t th, void **ret)
{
    LS_ENSURE_REAL(join);
    struct ls_thread *t = ls_enter();
    if (!t)
        return ls_real.join(th, ret);
    int r = ls_wait_join(t, map_find(th, 0), th, ret);
    if (r == 0)
        joined(t, th);
    else
        ls_call_error(t, LS_CALL_JOIN, NULL, RET, r);
    return r;
}

LS_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
    LS_ENSURE_REAL(tryjoin_np);
    int r = ls_real.tryjoin_np(th, ret);
    if (r == 0)
        joined(ls_enter(), th);
    else
        join_failed(LS_CALL_TRYJOIN, RET, r);
    return r;
}

LS_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime)
{
    LS_ENSURE_REAL(timedjoin_np);
    int r = ls_real.timedjoin_np(th, ret, abstime);
    if (r == 0)
        joined(ls_enter(), th);
    else
        join_failed(LS_CALL_TIMEDJOIN, RET, r);
    return r;
}

LS_EXPORT int pthread_detach(pthread_t th)
{
    LS_ENSURE_REAL(detach);
    int r = ls_real.detach(th);
    if (r == 0) {
        struct ls_thread *child = map_find(th, 1);
        /* a thread detaching itself may do so before its creator put it in
         * the map */
        if (!child && pthread_equal(th, pthread_self()))
            child = ls_self;
        if (child)
            ls_thread_life(child, LS_LIFE_RELEASED);
    } else {
        join_failed(LS_CALL_DETACH, RET, r);
    }
    return r;
}

LS_EXPORT void pthread_exit(void *ret)
{
    LS_ENSURE_REAL(exit);
    struct ls_thread *t = ls_enter();
    if (t) {
        ls_guard++;
        uint32_t st = ls_stack_here();
        ls_guard--;
        thread_end(t, st);
    }
    ls_real.exit(ret);
}

/* Joinable threads that finished but were neither joined nor detached by
 * the time the process exits: one record per creation site (the thread's
 * own id and creation stack).  A thread still running is not one: ending a
 * process while workers are busy or blocked is common and often meant
 * (ThreadSanitizer draws the same line).  Not reached by _exit or abort,
 * which skip atexit. */
void ls_thread_leaks(void)
{
    struct ls_thread *self = ls_self;
    /* (every thread joined or detached: no 1 MB table to read through) */
    if (!self || !atomic_load(&map_count))
        return;
    for (uint32_t k = 0; k < MAP_SIZE; k++) {
        struct ls_thread *t = map[k].t;
        if (t == NULL || t == TOMB || !t->create_stack)
            continue;
        uint32_t life = atomic_load(&t->life);
        if ((life & LS_LIFE_RELEASED) || !(life & LS_LIFE_EXITED))
            continue;
        struct ls_misuse_info mi = {
            .rule = LS_MISUSE_THREAD_LEAK,
            .call = LS_CALL_CREATE,
            .tid = t->tid,
            .stack = t->create_stack,
            .key = 0x100000000ull | t->create_stack,
            .value = 1,
        };
        ls_misuse_ex(self, &mi);
    }
}

void ls_threads_map_after_fork_child(void)
{
    map_spin.v = 0;
    if (atomic_load(&map_count))
        memset(map, 0, sizeof map);
    atomic_store(&map_count, 0);
}

/* Thread names go into the reports ("thread T1 'worker'"). */
LS_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
    LS_ENSURE_REAL(setname_np);
    int r = ls_real.setname_np(th, name);
    struct ls_thread *t = ls_enter();
    if (r != 0 || !t)
        return r;
    struct ls_thread *named = pthread_equal(th, pthread_self()) ? t : map_find(th, 0);
    if (named) {
        struct ls_rec_thread_name rec = {.tid = named->tid, .name_len = (uint32_t)strnlen(name, 64)};
        ls_writer_record(LS_REC_THREAD_NAME, &rec, sizeof rec, name, rec.name_len, NULL, 0);
    }
    return r;
}
