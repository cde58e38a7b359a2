/*
 * The stacks of an ownerless wait (condvar, semaphore, barrier), published
 * before the thread blocks: nobody can unwind it while it waits, and the
 * stall watchdog may have to report it.
 *
 * A step-by-step unwind costs microseconds (and libunwind masks signals
 * around its table lookups: two syscalls a frame), far more than a wait
 * that is signalled at once.  A program waits from few places, so the
 * thread keeps the frames of its last waits: a wait from the same return
 * address at the same stack pointer is the same call in the same function
 * activation, and its callers are the same if every return address sits
 * where the unwind found it (each is in the live frame of the function
 * below it, whose frame has the size it had).  Then the interned stack is
 * reused, and held locks' stacks come from the kept frames: exact, no
 * unwind, no syscall, no lock.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>

/* The call's frames are kept in site for the next wait from it. */
static void keep_site(struct ls_wait_site *site, uint64_t ret, uint64_t cfa, uint32_t stack,
                      int n)
{
    site->ret = ret;
    site->cfa = cfa;
    site->stack = stack;
    site->gen = ls_file_gen;
    site->n = (uint32_t)n;
}

/* The kept frames still describe the calling thread's stack: the frames
 * above site->cfa have not been popped and pushed again differently. */
int ls_wait_site_holds(const struct ls_wait_site *site, uint64_t ret, uint64_t cfa)
{
    if (site->ret != ret || site->cfa != cfa || site->gen != ls_file_gen || !site->n)
        return 0;
    for (uint32_t i = 1; i < site->n; i++) {
        const struct ls_frame_sp *f = &site->f[i];
        /* a frame's return address is just below its stack pointer */
        if (f->sp <= site->f[i - 1].sp || *(const uint64_t *)(uintptr_t)(f->sp - 8) != f->ip)
            return 0;
    }
    return 1;
}

uint32_t ls_wait_stacks_at(struct ls_thread *t, uint64_t ret, uint64_t cfa)
{
    if (!cfa || ls_site_stack)
        return ls_capture_wait_stacks(t);
    for (int i = 0; i < LS_WAIT_SITES; i++) {
        struct ls_wait_site *site = &t->wait_sites[i];
        if (ls_wait_site_holds(site, ret, cfa)) {
            ls_held_stacks_from(t, site->f, (int)site->n);
            return site->stack;
        }
    }
    int saved = errno;
    struct ls_wait_site *site = &t->wait_sites[t->wait_site_next++ % LS_WAIT_SITES];
    site->n = 0;
    int n = ls_unwind(site->f, (int)LS_TRACE_MAX_FRAMES);
    int kept = n < ls_opt.stack_depth ? n : ls_opt.stack_depth;
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    for (int i = 0; i < kept; i++)
        ips[i] = site->f[i].ip;
    uint32_t here = ls_stack_intern(ips, kept);
    ls_held_stacks_from(t, site->f, n);
    /* Kept only when the unwind starts at the call (it always should). */
    if (n > 0 && site->f[0].ip == ret && site->f[0].sp == cfa && here)
        keep_site(site, ret, cfa, here, n);
    errno = saved;
    return here;
}

/* A thread whose kept frames seldom serve its lock waits (waits from many
 * places, or from frames that keep changing) stops keeping them: each
 * costs a step-by-step unwind. */
#define LOCK_SITE_TRIES 64

const struct ls_wait_site *ls_lock_wait_site(struct ls_thread *t, uint64_t ret, uint64_t cfa)
{
    if (!cfa || ls_site_stack)
        return NULL;
    for (int i = 0; i < LS_WAIT_SITES; i++) {
        struct ls_wait_site *site = &t->wait_sites[i];
        if (ls_wait_site_holds(site, ret, cfa)) {
            t->lock_site_hits++;
            return site;
        }
    }
    /* Frames are kept for a call seen waiting twice in a row (most lock
     * waits come from one or two calls in a loop). */
    if (t->lock_cand_ret != ret || t->lock_cand_cfa != cfa ||
        (t->lock_site_unwinds >= LOCK_SITE_TRIES &&
         t->lock_site_hits < 4 * t->lock_site_unwinds)) {
        t->lock_cand_ret = ret;
        t->lock_cand_cfa = cfa;
        return NULL;
    }
    t->lock_cand_ret = t->lock_cand_cfa = 0;
    t->lock_site_unwinds++;
    int saved = errno;
    struct ls_wait_site *site = &t->wait_sites[t->wait_site_next++ % LS_WAIT_SITES];
    site->n = 0;
    int n = ls_unwind(site->f, (int)LS_TRACE_MAX_FRAMES);
    const struct ls_wait_site *kept = NULL;
    /* Kept only when the unwind starts at the call (it always should). */
    if (n > 0 && site->f[0].ip == ret && site->f[0].sp == cfa) {
        int depth = n < ls_opt.stack_depth ? n : ls_opt.stack_depth;
        uint64_t ips[LS_TRACE_MAX_FRAMES];
        for (int i = 0; i < depth; i++)
            ips[i] = site->f[i].ip;
        /* (an ownerless wait from the same call reuses the interned stack) */
        uint32_t here = ls_stack_intern(ips, depth);
        if (here) {
            keep_site(site, ret, cfa, here, n);
            kept = site;
        }
    }
    errno = saved;
    return kept;
}
