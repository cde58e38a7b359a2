/*
 * The SIGTRAP handler of the watchpoints: each trap is tied to the bytes
 * and the instruction that made it.
 *
 * A trap arrives as a synchronous SIGTRAP in the accessing thread, after
 * the instruction ran.  Its tag names the slot and the generation of the
 * window that fired (watch.h), so the window is the one armed at the time,
 * whatever the sampler did since.  The instruction before the trap's PC is
 * decoded (decode.c; cached per PC, lock-free, so a hot loop decodes once)
 * and evaluated with the registers the trap saved: the exact bytes, read or
 * write, atomic or not, or no access at all (a CMOVcc whose condition was
 * false).  An access whose address cannot be computed keeps only its
 * window, and says so (LS_ACCESS_INEXACT).
 *
 * Atomic instructions are synchronization: an atomic read-modify-write or
 * exchange acquires and releases a clock kept for its address, as the
 * accesses to a followed _Atomic global do on their slot's clock.
 *
 * Everything here is async-signal-safe: no lock but the shim's spinlocks
 * (never held by a thread that can be interrupted by this handler), no
 * allocation (the cache and the clocks' table are set up beforehand), and
 * the clock updates only happen when the trap interrupted the program's
 * own code, never the shim's.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#define DCACHE_BITS 12        /* decoded sites kept: 4096 PCs */
#define DCACHE_PROBES 8
#define KEY_BUSY 1ull         /* being written */
#define KEY_CALL (1ull << 63) /* decoded as a call through memory ending there */
#define FSTART_MAX (64u << 10) /* decode forward from a function's start at most this far */
#define ACLOCK_BITS 8         /* addresses of atomic instructions followed: 256 */

struct dentry {
    _Atomic uint64_t key;     /* the pc (| KEY_CALL); 0 free; KEY_BUSY */
    int ok;                   /* the site explains accesses (else: nothing to decode here) */
    struct ls_site site;
};

struct aclock {
    _Atomic uint64_t addr;    /* 0 free */
    struct ls_spin spin;
    struct ls_sync clk;
};

static struct dentry *dcache;
static struct aclock *aclocks;

int ls_trap_init(void)
{
    dcache = ls_arena_alloc(sizeof(struct dentry) << DCACHE_BITS);
    aclocks = ls_arena_alloc(sizeof(struct aclock) << ACLOCK_BITS);
    return dcache && aclocks ? 0 : -1;
}

static uint32_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)x;
}

/* ---- decoded sites, cached ------------------------------------------------ */

static const struct dentry *cache_find(uint64_t key)
{
    uint32_t h = hash64(key);
    for (uint32_t i = 0; i < DCACHE_PROBES; i++) {
        const struct dentry *e = &dcache[(h + i) & ((1u << DCACHE_BITS) - 1)];
        uint64_t k = atomic_load_explicit(&e->key, memory_order_acquire);
        if (k == key)
            return e;
        if (k == 0)
            return NULL;
    }
    return NULL;
}

/* Entries are written once and never change: a reader that sees the key
 * sees the site.  A full neighbourhood is not cached. */
static void cache_put(uint64_t key, const struct ls_site *s, int ok)
{
    uint32_t h = hash64(key);
    for (uint32_t i = 0; i < DCACHE_PROBES; i++) {
        struct dentry *e = &dcache[(h + i) & ((1u << DCACHE_BITS) - 1)];
        uint64_t zero = 0;
        if (!atomic_compare_exchange_strong(&e->key, &zero, KEY_BUSY))
            continue;
        e->site = *s;
        e->ok = ok;
        atomic_store_explicit(&e->key, key, memory_order_release);
        return;
    }
}

static const struct ls_code_range *code_at(uint64_t pc)
{
    for (int i = 0; i < ls_ncode; i++)
        if (pc >= ls_code[i].lo && pc < ls_code[i].hi)
            return &ls_code[i];
    return NULL;
}

/* What ends at pc (call: a call through memory whose return address is pc);
 * NULL if nothing there accesses memory. */
static const struct ls_site *site_at(uint64_t pc, int call, struct ls_site *buf)
{
    uint64_t key = pc | (call ? KEY_CALL : 0);
    const struct dentry *e = cache_find(key);
    if (e)
        return e->ok ? &e->site : NULL;
    const struct ls_code_range *r = code_at(pc);
    if (!r)
        return NULL;
    /* The code is the object's executable segment, mapped as long as the
     * object is loaded: read in place. */
    const uint8_t *code = (const uint8_t *)(uintptr_t)pc;
    size_t before = pc - r->lo, after = r->hi - pc;
    /* The instruction's last byte is at pc - 1: its function starts before. */
    uint64_t f = ls_decode_function_start(r->eh_hdr, r->eh_len, (uint64_t)(uintptr_t)r->eh_hdr,
                                          pc - 1);
    size_t back = f >= r->lo && f < pc && pc - f <= FSTART_MAX ? pc - f : 0;
    int rc = call ? ls_decode_call_site(code, before, back, buf)
                  : ls_decode_site(code, before, after, back, buf);
    cache_put(key, buf, rc == 0);
    return rc == 0 ? buf : NULL;
}

/* ---- registers --------------------------------------------------------- */

static void regs_of(const ucontext_t *uc, struct ls_regs *r)
{
    const greg_t *g = uc->uc_mcontext.gregs;
    r->r[LS_REG_RAX] = (uint64_t)g[REG_RAX];
    r->r[LS_REG_RCX] = (uint64_t)g[REG_RCX];
    r->r[LS_REG_RDX] = (uint64_t)g[REG_RDX];
    r->r[LS_REG_RBX] = (uint64_t)g[REG_RBX];
    r->r[LS_REG_RSP] = (uint64_t)g[REG_RSP];
    r->r[LS_REG_RBP] = (uint64_t)g[REG_RBP];
    r->r[LS_REG_RSI] = (uint64_t)g[REG_RSI];
    r->r[LS_REG_RDI] = (uint64_t)g[REG_RDI];
    r->r[LS_REG_R8] = (uint64_t)g[REG_R8];
    r->r[LS_REG_R9] = (uint64_t)g[REG_R9];
    r->r[LS_REG_R10] = (uint64_t)g[REG_R10];
    r->r[LS_REG_R11] = (uint64_t)g[REG_R11];
    r->r[LS_REG_R12] = (uint64_t)g[REG_R12];
    r->r[LS_REG_R13] = (uint64_t)g[REG_R13];
    r->r[LS_REG_R14] = (uint64_t)g[REG_R14];
    r->r[LS_REG_R15] = (uint64_t)g[REG_R15];
    r->rflags = (uint64_t)g[REG_EFL];
    /* The handler runs in the trapping thread: its thread pointer is the
     * interrupted code's (glibc keeps the TCB's own address at %fs:0). */
    uint64_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    r->fs_base = tp;
}

/* Reads 8 bytes at addr of our own memory without faulting (the
 * interrupted stack pointer need not point at anything mapped). */
static int read_u64(uint64_t addr, uint64_t *out)
{
    struct iovec local = {out, sizeof *out}, remote = {(void *)(uintptr_t)addr, sizeof *out};
    return syscall(SYS_process_vm_readv, (long)getpid(), &local, 1L, &remote, 1L, 0L) ==
                   (long)sizeof *out
               ? 0
               : -1;
}

/* The access behind a trap at pc on window [wlo, + wlen); 0 with *a, or -1. */
static int decode_trap(uint64_t pc, const ucontext_t *uc, uint64_t wlo, uint32_t wlen,
                       struct ls_dec_access *a)
{
    struct ls_regs r;
    regs_of(uc, &r);
    struct ls_site buf;
    const struct ls_site *s = site_at(pc, 0, &buf);
    if (s && ls_decode_eval(s, &r, pc, wlo, wlen, a) == 0)
        return 0;
    /* A call through memory traps at its target; it ends at the return
     * address, on top of the stack. */
    uint64_t ret;
    if (read_u64(r.r[LS_REG_RSP], &ret) != 0 || !code_at(ret))
        return -1;
    s = site_at(ret, 1, &buf);
    return s && ls_decode_eval(s, &r, ret, wlo, wlen, a) == 0 ? 0 : -1;
}

/* ---- synchronization --------------------------------------------------- */

static struct aclock *aclock_for(uint64_t addr)
{
    uint32_t h = hash64(addr);
    for (uint32_t i = 0; i < 16; i++) {
        struct aclock *e = &aclocks[(h + i) & ((1u << ACLOCK_BITS) - 1)];
        uint64_t a = atomic_load(&e->addr);
        if (a == addr)
            return e;
        if (a == 0 && atomic_compare_exchange_strong(&e->addr, &a, addr))
            return e;
        if (a == addr)
            return e;
    }
    return NULL;
}

/* A load acquires; a store also releases (an atomic read-modify-write does
 * both). */
static void sync_on(struct ls_thread *t, struct ls_spin *spin, struct ls_sync *clk, int release)
{
    ls_spin_lock(spin);
    ls_clock_acquire(t, clk);
    if (release)
        ls_clock_release_join(t, clk);
    ls_spin_unlock(spin);
}

/* ---- the handler --------------------------------------------------------- */

static void record(struct ls_thread *t, const struct ls_dec_access *a, uint32_t flags,
                   uint64_t wlo, uint32_t wlen, uint64_t pc, void *uc, uint32_t obj)
{
    /* The unwinder may take a lock of its own: that is ours, not the
     * program's, and must go straight through. */
    ls_guard++;
    atomic_store(&t->in_trap, 1);
    ls_ring_push(t, a->addr, a->size > UINT32_MAX ? UINT32_MAX : (uint32_t)a->size, flags, wlo,
                 wlen, pc, uc, obj);
    atomic_store(&t->in_trap, 0);
    ls_guard--;
}

/* The rate limit: a slot trapping too often sits out.  0 if the trap may
 * be taken. */
static int spend(struct ls_slot *sl, int s, uint32_t gen, struct ls_thread *t)
{
    /* Shared: another thread was sampled on it too (a trap refused here
     * sampled nobody, and must not keep the slot from being re-armed). */
    int ok = atomic_fetch_sub(&sl->tokens, 1) > 0;
    uint32_t first = atomic_load_explicit(&sl->first_tid, memory_order_relaxed);
    if (first == 0)
        atomic_compare_exchange_strong(&sl->first_tid, &first, t->tid);
    else if (ok && first != t->tid && !atomic_load_explicit(&sl->shared, memory_order_relaxed))
        atomic_store(&sl->shared, 1);
    if (ok)
        return 0;
    atomic_fetch_add(&ls_wcount.limited, 1);
    if (sl->sync == 1) {
        /* Its synchronization is lost from here until it is armed again:
         * marked before this thread goes on, so that any access ordered
         * after this one by the program carries the mark. */
        atomic_store(&ls_sync_incomplete, 1);
        if (!atomic_exchange(&sl->lost, 1))
            atomic_fetch_add(&ls_sync_benched, 1);
        atomic_fetch_add(&ls_sync_lost_seq, 1);
    }
    if (atomic_load(&sl->gen) == gen && !atomic_load(&sl->benched))
        ls_slot_bench(s);
    return -1;
}

void ls_trap_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    uint64_t tag = *(const unsigned long *)((const char *)&si->si_addr + sizeof(void *));
    int saved = errno;
    int s = (int)(tag & 0xff);
    uint32_t gen = (uint32_t)(tag >> 32);
    struct ls_thread *t = ls_self;
    if (s >= ls_nslots || !t || ls_guard)
        goto done;
    struct ls_slot *sl = &ls_slots[s];
    atomic_fetch_add(&ls_wcount.traps, 1);
    /* The window that fired, as it was armed. */
    const struct ls_window *w = &sl->hist[gen % LS_WATCH_HIST];
    int ci = atomic_load(&w->cand);
    uint64_t wlo = atomic_load(&w->addr);
    uint32_t wlen = atomic_load(&w->len);
    if (atomic_load(&w->gen) != gen) {
        atomic_fetch_add(&ls_wcount.stray, 1); /* older than the history kept */
        goto done;
    }
    struct ls_cand *c = ls_cand_get(ci);
    /* A dynamic candidate's window counts only for the object it was armed
     * for: a block freed (and perhaps allocated again) since is another. */
    uint32_t obj = atomic_load(&w->obj);
    if (c && obj != ls_cand_obj(ci)) {
        atomic_fetch_add(&ls_wcount.stray, 1);
        goto done;
    }
    if (!c || spend(sl, s, gen, t) != 0)
        goto done;
    if (ls_trap_async(si)) {
        /* Nothing tells where the access was (not the library's code, as
         * the context says, which would drop the global).  A followed
         * global's synchronization went unseen at this point. */
        atomic_fetch_add(&ls_wcount.stray, 1);
        if (sl->sync == 1) {
            atomic_store(&ls_sync_incomplete, 1);
            atomic_fetch_add(&ls_sync_lost_seq, 1);
        }
        goto done;
    }
    ucontext_t *uc = ucv;
    uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    /* Accesses from the C library (the program's mutexes touched inside
     * pthread_mutex_lock, memcpy into a global) are not the program's code.
     * A variable only the library touches (a mutex, a buffer) is dropped:
     * its traps would cost and never count. */
    if (!code_at(pc)) {
        atomic_fetch_add(&ls_wcount.foreign, 1);
        if (c->sync) {
            /* Not decodable here: an _Atomic global's access both acquires
             * and releases, which can hide a race but never invent one. */
            if (!ls_in_self(pc))
                sync_on(t, &sl->spin, &sl->clock, 1);
        } else if (obj) {
            /* A lock inside a heap block, a buffer libc fills: that window
             * sits out the turn, the object's others are still watched. */
            if (atomic_fetch_add(&c->foreign, 1) >= 32 && atomic_load(&sl->gen) == gen)
                ls_slot_bench(s);
        } else if (atomic_fetch_add(&c->foreign, 1) >= 32) {
            atomic_store(&c->dropped, 1);
            if (atomic_load(&sl->gen) == gen)
                ls_slot_bench(s);
        }
        goto done;
    }
    atomic_store_explicit(&c->foreign, 0, memory_order_relaxed);
    struct ls_dec_access a;
    if (!ls_decode_on) {
        /* Not decoded: only the window is known, and not whether it was read. */
        a = (struct ls_dec_access){wlo, wlen, 0, 0};
        if (c->sync)
            sync_on(t, &sl->spin, &sl->clock, 1);
        else
            record(t, &a, LS_ACCESS_KIND_UNKNOWN | LS_ACCESS_INEXACT, wlo, wlen, pc, uc, obj);
        goto done;
    }
    if (decode_trap(pc, uc, wlo, wlen, &a) != 0) {
        atomic_fetch_add(&ls_wcount.undecoded, 1);
        if (c->sync)
            sync_on(t, &sl->spin, &sl->clock, 1);
        goto done;
    }
    if (a.flags & LS_DEC_NO_ACCESS) {
        atomic_fetch_add(&ls_wcount.no_access, 1);
        goto done;
    }
    if (c->sync) {
        /* A followed global: synchronization, not an access to judge. */
        if (a.flags & LS_DEC_ATOMIC)
            atomic_fetch_add(&ls_wcount.atomic, 1);
        sync_on(t, &sl->spin, &sl->clock, (a.flags & LS_DEC_WRITE) != 0);
        goto done;
    }
    uint32_t flags = (a.flags & LS_DEC_READ ? LS_ACCESS_READ : 0) |
                     (a.flags & LS_DEC_WRITE ? LS_ACCESS_WRITE : 0) |
                     (a.flags & LS_DEC_INEXACT ? LS_ACCESS_INEXACT : 0);
    if (a.flags & LS_DEC_ATOMIC) {
        flags |= LS_ACCESS_ATOMIC;
        atomic_fetch_add(&ls_wcount.atomic, 1);
        struct aclock *ac = aclock_for(a.flags & LS_DEC_INEXACT ? wlo : a.addr);
        if (ac)
            sync_on(t, &ac->spin, &ac->clk, (a.flags & LS_DEC_WRITE) != 0);
    }
    atomic_fetch_add(a.flags & LS_DEC_INEXACT ? &ls_wcount.inexact : &ls_wcount.exact, 1);
    /* Two threads met on the window, one of them writing: the sampler
     * does not rest after this turn (watch.c). */
    if ((a.flags & LS_DEC_WRITE) && !atomic_load_explicit(&sl->wrote, memory_order_relaxed))
        atomic_store_explicit(&sl->wrote, 1, memory_order_relaxed);
    if (!atomic_load_explicit(&sl->met, memory_order_relaxed) &&
        atomic_load_explicit(&sl->shared, memory_order_relaxed) &&
        atomic_load_explicit(&sl->wrote, memory_order_relaxed))
        atomic_store_explicit(&sl->met, 1, memory_order_relaxed);
    record(t, &a, flags, wlo, wlen, pc, uc, obj);
done:
    errno = saved;
}
