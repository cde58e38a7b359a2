/*
 * Stacks: captured with libunwind only when something is new, interned by
 * content (uthash) into ids, and written to the trace once per id.
 */
#define _GNU_SOURCE
#include "shim.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <errno.h>
#include <string.h>

/* uthash allocates from the shim's arena, never from the program's malloc. */
#define uthash_malloc(sz) ls_arena_alloc(sz)
#define uthash_free(ptr, sz) ((void)(ptr), (void)(sz))
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

struct stack_entry {
    UT_hash_handle hh;
    uint32_t id;
    uint32_t depth;
    uint64_t ips[];
};

static struct stack_entry *table;
static struct ls_spin spin;
static uint32_t next_id = 1;

/* One unwind at a time in the process.  This libunwind is built without
 * per-thread caches (its TLS is 16 bytes), and then its per-thread caching
 * policy shares the address space's one cache with no lock at all; the
 * global policy would take a lock with every signal blocked around each
 * frame (two syscalls a frame).  So the shim keeps the cache to one
 * thread at a time itself, and the signal masks libunwind sets around
 * dl_iterate_phdr while this is held are not set (ls_unwinding: its own
 * trap handler never unwinds inside the shim, glibc's dl_iterate_phdr
 * lock is recursive).  A trap handler only tries for it: a sample whose
 * stack cannot be had now goes without one. */
static struct ls_spin unwind_spin;
__thread int ls_unwinding LS_TLS;
static _Atomic int unwinder_ready;

/* libunwind sets itself up (a pipe to test addresses with, its locks and
 * tables, some 100 us) on its first call: made by the first stack the
 * process needs, not at start-up, so that a process that needs none does
 * not pay for it.  Caller holds unwind_spin.  ls_guard is raised: the
 * locks and the pipe libunwind takes then are the shim's, not the
 * program's (pipe2 moves the shim's descriptors out of the way). */
static void unwinder_setup(void)
{
    if (likely(atomic_load_explicit(&unwinder_ready, memory_order_acquire)))
        return;
    int saved = errno;
    ls_guard++;
    /* A per-thread cache needs no lock and no signal masking (the global
     * one blocks signals around every access: two syscalls per unwind). */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    ls_guard--;
    errno = saved;
    atomic_store_explicit(&unwinder_ready, 1, memory_order_release);
}

static void unwind_begin(void)
{
    ls_spin_lock(&unwind_spin);
    ls_unwinding = 1;
    unwinder_setup();
}

int ls_unwind_try_begin(void)
{
    for (int i = 0; i < 256; i++) {
        if (ls_spin_trylock(&unwind_spin)) {
            ls_unwinding = 1;
            unwinder_setup();
            return 1;
        }
        __builtin_ia32_pause();
    }
    return 0;
}

void ls_stacks_ready(void)
{
    unwind_begin();
    ls_unwind_end();
}

void ls_unwind_end(void)
{
    ls_unwinding = 0;
    ls_spin_unlock(&unwind_spin);
}

int ls_unwind(struct ls_frame_sp *out, int max)
{
    unw_context_t ctx;
    unw_cursor_t cur;
    if (max > (int)LS_TRACE_MAX_FRAMES)
        max = (int)LS_TRACE_MAX_FRAMES;
    if (unw_getcontext(&ctx) != 0)
        return 0;
    unwind_begin();
    if (unw_init_local(&cur, &ctx) != 0) {
        ls_unwind_end();
        return 0;
    }
    int n = 0;
    /* Keep up to max of the program's frames: the shim's own (the wrapper,
     * the thread trampoline) are left out.  The bound on steps protects
     * against a corrupt stack. */
    for (int steps = 0; n < max && steps < 256; steps++) {
        if (unw_step(&cur) <= 0)
            break;
        unw_word_t ip, sp;
        if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0 || unw_get_reg(&cur, UNW_REG_SP, &sp) != 0)
            break;
        if (ip == 0)
            break;
        if (ls_in_self(ip))
            continue;
        out[n].ip = ip;
        out[n].sp = sp;
        n++;
    }
    ls_unwind_end();
    return n;
}

/* Stacks this thread captured so far, up to LS_BACKTRACE_CACHED. */
#define LS_BACKTRACE_CACHED 32
static __thread uint32_t captures LS_TLS;

int ls_backtrace(uint64_t *ips, int max)
{
    void *raw[LS_TRACE_MAX_FRAMES + 16];
    if (max > (int)LS_TRACE_MAX_FRAMES)
        max = (int)LS_TRACE_MAX_FRAMES;
    /* unw_backtrace caches frame layouts per address: much cheaper than a
     * step-by-step unwind once the program's code has been seen, but its
     * cache is the thread's own, 256 KB, filled in when it is made (some
     * 80,000 instructions).  A thread that captures few stacks (most do:
     * stacks are taken for what is new) unwinds step by step instead, and
     * only one that keeps capturing gets the cache. */
    if (captures < LS_BACKTRACE_CACHED) {
        captures++;
        struct ls_frame_sp f[LS_TRACE_MAX_FRAMES];
        int n = ls_unwind(f, max);
        for (int i = 0; i < n; i++)
            ips[i] = f[i].ip;
        return n > 0 ? n : 0;
    }
    unwind_begin();
    int n = unw_backtrace(raw, max + 16);
    ls_unwind_end();
    int k = 0;
    for (int i = 0; i < n && k < max; i++) {
        uint64_t ip = (uint64_t)(uintptr_t)raw[i];
        if (ip == 0)
            break;
        if (ls_in_self(ip))
            continue;
        ips[k++] = ip;
    }
    return k;
}

/* Start of the function containing return address ip, 0 if unknown.
 * libunwind's lookup takes a global lock with signals masked, so the
 * answers are kept in a small per-thread cache: lock call sites are few. */
static __thread struct {
    uint64_t ip, start;
} fn_cache[64] LS_TLS;

static uint64_t function_start(uint64_t ip)
{
    unsigned slot = (unsigned)((ip >> 2) ^ (ip >> 9)) & 63;
    if (fn_cache[slot].ip == ip)
        return fn_cache[slot].start;
    unw_proc_info_t pi;
    uint64_t start = 0;
    unwind_begin();
    if (unw_get_proc_info_by_ip(unw_local_addr_space, ip - 1, &pi, NULL) == 0)
        start = pi.start_ip;
    ls_unwind_end();
    fn_cache[slot].ip = ip;
    fn_cache[slot].start = start;
    return start;
}

int ls_same_function(uint64_t a, uint64_t b)
{
    uint64_t sa = function_start(a);
    return sa != 0 && sa == function_start(b);
}

uint32_t ls_stack_intern(const uint64_t *ips, int depth)
{
    if (depth <= 0)
        return 0;
    if (depth > (int)LS_TRACE_MAX_FRAMES)
        depth = (int)LS_TRACE_MAX_FRAMES;
    size_t klen = (size_t)depth * sizeof(uint64_t);
    struct stack_entry *e;
    ls_spin_lock(&spin);
    HASH_FIND(hh, table, ips, klen, e);
    if (e) {
        uint32_t id = e->id;
        ls_spin_unlock(&spin);
        return id;
    }
    e = ls_arena_alloc(sizeof *e + klen);
    if (!e) {
        ls_spin_unlock(&spin);
        ls_disable("out of memory for stacks");
        return 0;
    }
    e->id = next_id++;
    e->depth = (uint32_t)depth;
    memcpy(e->ips, ips, klen);
    HASH_ADD_KEYPTR(hh, table, e->ips, klen, e);
    uint32_t id = e->id;
    struct ls_rec_stack r = {.id = id, .depth = (uint32_t)depth};
    ls_spin_unlock(&spin);
    ls_modules_cover(ips, depth);
    ls_writer_record(LS_REC_STACK, &r, sizeof r, ips, klen, NULL, 0);
    return id;
}

uint32_t ls_stack_fresh(const uint64_t *ips, int depth)
{
    if (depth < 0)
        depth = 0;
    if (depth > (int)LS_TRACE_MAX_FRAMES)
        depth = (int)LS_TRACE_MAX_FRAMES;
    ls_spin_lock(&spin);
    uint32_t id = next_id++;
    ls_spin_unlock(&spin);
    struct ls_rec_stack r = {.id = id, .depth = (uint32_t)depth};
    if (depth)
        ls_modules_cover(ips, depth);
    ls_writer_record(LS_REC_STACK, &r, sizeof r, ips, (size_t)depth * sizeof(uint64_t), NULL, 0);
    return id;
}

uint32_t ls_stack_here(void)
{
    if (ls_site_stack)
        return ls_site_stack;
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    int n = ls_backtrace(ips, ls_opt.stack_depth);
    return ls_stack_intern(ips, n);
}

void ls_stacks_after_fork_child(void)
{
    spin.v = 0;
    unwind_spin.v = 0; /* the forking thread held it, or no one */
    ls_unwinding = 0;
    table = NULL; /* the parent's ids belong to the parent's file */
    next_id = 1;
}
