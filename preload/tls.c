/*
 * Per-thread state.  Reached through an initial-exec TLS pointer (no
 * __tls_get_addr call on the hot path); the state itself lives in the
 * shim's arena and is recycled when a thread ends.
 */
#define _GNU_SOURCE
#include "shim.h"
#include "edges.h"
#include "timeline.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread struct ls_thread *ls_self;
__thread int ls_guard;
__thread uint64_t ls_outer_ret;
__thread uint64_t ls_outer_cfa;

static _Atomic uint32_t next_tid = 1;
static struct ls_spin free_spin;
static struct ls_thread *free_list[256];
static int nfree;

uint32_t ls_thread_next_tid(void)
{
    return atomic_fetch_add(&next_tid, 1);
}

uint32_t ls_thread_tids_given(void)
{
    return atomic_load_explicit(&next_tid, memory_order_relaxed);
}

static struct ls_thread *alloc_state(void)
{
    struct ls_thread *t = NULL;
    ls_spin_lock(&free_spin);
    if (nfree > 0)
        t = free_list[--nfree];
    ls_spin_unlock(&free_spin);
    if (t) {
        struct ls_edge_slot *edges = t->edges;
        uint32_t cap = t->edge_cap;
        struct ls_ring *ring = t->ring;
        struct ls_tl *tl = t->tl; /* reused by the next thread (ls_tl_thread_start) */
        struct ls_sl_table *sl = t->sl; /* reused too: synclife.c resets it for the new tid */
        struct ls_edge_batch *batch = t->edge_batch; /* written when its thread ended */
        memset(t, 0, sizeof *t);
        t->tl = tl;
        t->sl = sl;
        t->edge_batch = batch;
        memset(edges, 0, cap * sizeof *edges);
        t->edges = edges;
        t->edge_cap = cap;
        if (ring)
            memset(ring, 0, sizeof *ring);
        t->ring = ring;
        return t;
    }
    t = ls_arena_alloc(sizeof *t);
    if (!t)
        return NULL;
    t->edge_cap = 256;
    t->edges = ls_arena_alloc(t->edge_cap * sizeof *t->edges);
    t->ring = ls_ring_new();
    return t->edges ? t : NULL;
}

static void emit_thread(const struct ls_thread *t)
{
    struct ls_rec_thread r = {
        .tid = t->tid,
        .os_tid = t->os_tid,
        .parent = t->parent,
        .parent_epoch = t->parent_epoch,
        .create_stack = t->create_stack,
        .name_len = 0,
    };
    ls_writer_record(LS_REC_THREAD, &r, sizeof r, NULL, 0, NULL, 0);
}

struct ls_thread *ls_thread_alloc(void)
{
    struct ls_thread *t = alloc_state();
    if (!t)
        return NULL;
    t->tid = ls_thread_next_tid();
    t->epoch = 1;
    return t;
}

/* A non-NULL value for every traced thread, so that the key's destructor
 * sees threads that end without returning through the shim (cancelled). */
static pthread_key_t exit_key;
static int have_exit_key;

static void on_thread_key_exit(void *v)
{
    struct ls_thread *t = ls_self;
    if (t) {
        ls_thread_finish(t, 0);
        ls_thread_leave(t);
        ls_thread_life(t, LS_LIFE_EXITED);
    }
}

void ls_threads_init(void)
{
    have_exit_key = pthread_key_create(&exit_key, on_thread_key_exit) == 0;
}

void ls_thread_start(struct ls_thread *t)
{
    t->os_tid = (uint32_t)syscall(SYS_gettid);
    ls_self = t;
    if (have_exit_key)
        pthread_setspecific(exit_key, (void *)1);
    ls_registry_add(t);
    emit_thread(t);
    ls_tl_thread_start(t);
}

struct ls_thread *ls_thread_new(uint32_t parent, uint32_t parent_epoch, uint32_t create_stack)
{
    struct ls_thread *t = ls_thread_alloc();
    if (!t)
        return NULL;
    ls_clock_thread_start(t, NULL);
    atomic_fetch_or(&t->life, LS_LIFE_PUBLISHED); /* nobody creates it through the shim */
    t->parent = parent;
    t->parent_epoch = parent_epoch;
    t->create_stack = create_stack;
    ls_thread_start(t);
    return t;
}

void ls_thread_finish(struct ls_thread *t, uint32_t exit_stack)
{
    if (!t || t->exited)
        return;
    t->exited = 1;
    ls_tl_thread_end(t);
    ls_misuse_thread_gone(t);
    ls_ring_drain(t);
    ls_edges_flush_thread(t);
    ls_registry_remove(t);
    struct ls_rec_thread_end r = {.tid = t->tid, .epoch = t->epoch, .exit_stack = exit_stack};
    ls_writer_record(LS_REC_THREAD_END, &r, sizeof r, NULL, 0, NULL, 0);
}

void ls_thread_leave(struct ls_thread *t)
{
    if (ls_self == t) {
        ls_self = NULL;
        ls_guard = 1;
    }
}

void ls_thread_life(struct ls_thread *t, uint32_t bit)
{
    uint32_t old = atomic_fetch_or(&t->life, bit);
    uint32_t all = LS_LIFE_EXITED | LS_LIFE_RELEASED | LS_LIFE_PUBLISHED;
    if ((old | bit) != all || (old & bit))
        return;
    ls_spin_lock(&free_spin);
    if (nfree < (int)(sizeof free_list / sizeof free_list[0]))
        free_list[nfree++] = t;
    ls_spin_unlock(&free_spin);
}

struct ls_thread *ls_current_slow(void)
{
    if (ls_guard || !atomic_load_explicit(&ls_active, memory_order_relaxed))
        return NULL;
    ls_guard++;
    struct ls_thread *t = ls_thread_new(0, 0, 0);
    ls_guard--;
    return t;
}

void ls_threads_after_fork_child(void)
{
    /* Only the forking thread exists in the child.  It keeps its state and
     * its held locks (the child's copies are held too), but everything it
     * recorded went to the parent's file. */
    free_spin.v = 0;
    nfree = 0;
    struct ls_thread *t = ls_self;
    if (!t)
        return;
    t->os_tid = (uint32_t)syscall(SYS_gettid);
    memset(t->edges, 0, t->edge_cap * sizeof *t->edges);
    t->edge_count = 0;
    for (uint32_t i = 0; i < t->nheld; i++)
        t->held[i].stack = 0;
    /* The child starts as its own process: no create/join history. */
    t->parent = 0;
    t->parent_epoch = 0;
    t->create_stack = 0;
    ls_registry_after_fork_child(t);
    ls_ring_after_fork_child(t);
    emit_thread(t);
}

int ls_shim_thread(pthread_t *th, size_t stack, void *(*fn)(void *))
{
    int saved = errno;
    /* All signals blocked: the program's signals must reach its own threads. */
    sigset_t all, old;
    sigfillset(&all);
    ls_guard++; /* our own mask: not the program's, whatever it contains */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, stack);
    int r = ls_real.create(th, &a, fn, NULL);
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ls_guard--;
    errno = saved;
    return r;
}
