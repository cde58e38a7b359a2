/*
 * Memory accesses without recompiling: hardware watchpoints.
 *
 * Candidates are the program's global data objects, less synchronization
 * objects (candidates.c), and those the shim sees as such.  Each slot is
 * one read-write debug register: the instruction that made the access is
 * decoded (trap.c), which tells a read from a write, so x86-64's four
 * registers watch four windows at once.
 * A window is an aligned 1, 2, 4 or 8 bytes of a candidate; a larger object
 * is watched one window after the other, a turn each.
 *
 * The events are opened in the first thread with inherit, so every thread
 * created afterwards has them, and retargeted in all threads at once with
 * PERF_EVENT_IOC_MODIFY_ATTRIBUTES.  With more windows than slots, a
 * sampler thread rotates them: the first turn lasts 1 ms, each next one
 * twice as long, up to watch_period_ms, so that a program that lives for
 * milliseconds still has each of its globals watched.  Candidates the
 * program's code writes come first in the rotation, then those it only
 * reads, then those its code never names.
 *
 * Traps are budgeted as token buckets: every fifth of a turn, the sampled
 * slots share watch_rate traps a second for each thread that can run at
 * once (no more than the CPUs the program may use), and a bucket holds at
 * most 100 ms of half of it (what each of two variables had).  A slot whose bucket is empty sits out until
 * the next refill (the rest of its turn when the program has many
 * threads).  So a hot global cannot slow the program down without bound,
 * however many threads touch it, while a short burst is sampled in full.
 *
 * Nothing of this costs a process that never starts a thread more than
 * opening the events: candidates are found, and the decoder loaded, when
 * the program creates its first thread.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6 /* si_code of a perf event with sigtrap (Linux 5.13) */
#endif

#define YOUNG_NS 1000000L  /* the first turn */
#define WINDOWS 5          /* refills in a turn */
#define BUCKET_MS 100      /* a bucket holds this much of its share at most */

/* Re-arming a slot moves its watchpoints in every thread (an interrupt to
 * each CPU running one, and traps keep coming until all took it): with no
 * more threads than this, a benched slot is re-armed at the next refill,
 * with more only at the next turn. */
#define CHEAP_REARM_THREADS 16

struct ls_slot ls_slots[LS_WATCH_SLOTS];
int ls_nslots;
struct ls_watch_counts ls_wcount;
int ls_decode_on;
_Atomic int ls_sync_incomplete;
_Atomic uint32_t ls_sync_lost_seq;
_Atomic int ls_sync_benched;

uint32_t ls_sync_lost_now(void)
{
    uint32_t seq = atomic_load(&ls_sync_lost_seq) & ~LS_ACCESS_SYNC_BENCHED;
    return seq | (atomic_load(&ls_sync_benched) > 0 ? LS_ACCESS_SYNC_BENCHED : 0);
}

static _Atomic int watching;
static uint32_t nsync;        /* _Atomic globals followed (not counting 'x' ones) */
static long dummy_target[LS_WATCH_SLOTS]; /* where an idle slot points */
static uint32_t ncpus = 1;    /* CPUs the program may run on */

_Atomic int ls_watch_pending_threads;

/* The window of c at offset off: an aligned 1, 2, 4 or 8 bytes inside it. */
static uint32_t window_len(const struct ls_cand *c, uint32_t off)
{
    uint64_t a = c->addr + off;
    uint32_t len = 8;
    while (len > 1 && ((a & (len - 1)) || (uint64_t)off + len > c->size))
        len /= 2;
    return len;
}

/* ---- perf events ----------------------------------------------------------- */

/* An idle slot (one at its dummy target, or benched) is a disabled event:
 * an armed debug register costs every thread that has it at each context
 * switch (the kernel loads the registers; on a VM each load exits to the
 * hypervisor) and makes the CPU's fast string instructions slow, even when
 * nothing ever touches its address.  200 short Python threads took 56 us
 * more each with four idle slots armed, nothing more with them disabled.
 * PERF_EVENT_IOC_MODIFY_ATTRIBUTES takes `disabled` from the new
 * attributes, in every thread at once, like the address. */
void ls_watch_fill_attr(struct perf_event_attr *a, uint64_t addr, uint32_t len, uint64_t tag,
                        int idle)
{
    memset(a, 0, sizeof *a);
    a->type = PERF_TYPE_BREAKPOINT;
    a->size = sizeof *a;
    a->bp_type = HW_BREAKPOINT_RW;
    a->bp_addr = addr;
    a->bp_len = len == 1 ? HW_BREAKPOINT_LEN_1 : len == 2 ? HW_BREAKPOINT_LEN_2
                : len == 4 ? HW_BREAKPOINT_LEN_4 : HW_BREAKPOINT_LEN_8;
    a->sample_period = 1;
    a->exclude_kernel = 1;
    a->exclude_hv = 1;
    a->sigtrap = 1;
    a->remove_on_exec = 1;
    a->inherit = 1;
    a->inherit_thread = 1;
    a->sig_data = tag;
    a->disabled = idle != 0;
}

uint64_t ls_tag_of(int slot, uint32_t gen)
{
    return LS_TAG_MAGIC | (uint64_t)slot | (uint64_t)gen << 32;
}

/* Points slot s at [addr, + len) of candidate ci (-1: at nothing) under a
 * new generation, written down before the move so that a trap of the new
 * window always finds it. */
static void point(int s, int ci, uint32_t off, uint64_t addr, uint32_t len)
{
    struct ls_slot *sl = &ls_slots[s];
    (void)off;
    uint32_t gen = atomic_load(&sl->gen) + 1;
    struct ls_window *w = &sl->hist[gen % LS_WATCH_HIST];
    atomic_store(&w->gen, 0);
    atomic_store(&w->cand, ci);
    atomic_store(&w->addr, addr);
    atomic_store(&w->len, len);
    atomic_store(&w->obj, ls_cand_obj(ci));
    atomic_store(&w->gen, gen);
    struct perf_event_attr a;
    ls_watch_fill_attr(&a, addr, len, ls_tag_of(s, gen), ci < 0);
    ioctl(sl->fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a);
    atomic_store(&sl->gen, gen);
}

/* From a trap handler: the sampler may be moving the slot right now (then
 * it is being re-armed anyway). */
void ls_slot_bench(int s)
{
    if (!ls_spin_trylock(&ls_slots[s].move))
        return;
    /* At a variable of ours nobody touches. */
    atomic_store(&ls_slots[s].benched, 1);
    point(s, -1, 0, (uint64_t)(uintptr_t)&dummy_target[s], 8);
    ls_spin_unlock(&ls_slots[s].move);
}

/* ---- arming and rotation ------------------------------------------------- */

static int eligible(int ci)
{
    const struct ls_cand *c = ls_cand_get(ci);
    if (!c || atomic_load(&c->dropped))
        return 0;
    if (ci >= LS_DYN_BASE)
        return ls_cand_obj(ci) != 0;
    return !ls_lock_known((const void *)(uintptr_t)c->addr);
}

static void arm(int s, int ci, uint32_t off)
{
    struct ls_slot *sl = &ls_slots[s];
    ls_spin_lock(&sl->move);
    atomic_store(&sl->first_tid, 0);
    atomic_store(&sl->shared, 0);
    atomic_store(&sl->wrote, 0);
    /* A dynamic candidate freed meanwhile is not armed again: its freeing
     * disarms the slots on it after marking it gone, under this lock. */
    if (ci >= LS_DYN_BASE && !ls_cand_obj(ci))
        ci = -1;
    if (ci < 0) {
        atomic_store(&sl->cand, -1);
        point(s, -1, 0, (uint64_t)(uintptr_t)&dummy_target[s], 8);
    } else {
        const struct ls_cand *c = ls_cand_get(ci);
        point(s, ci, off, c->addr + off, window_len(c, off));
        atomic_store(&sl->cand, ci);
        atomic_store(&sl->off, off);
    }
    atomic_store(&sl->benched, 0);
    /* A followed global's accesses are seen again once every thread has
     * the watchpoint back (the ioctl above returns then). */
    if (sl->sync == 1 && atomic_exchange(&sl->lost, 0))
        atomic_fetch_sub(&ls_sync_benched, 1);
    ls_spin_unlock(&sl->move);
}

static uint32_t next_cand;
static _Atomic int dyn_changed; /* a dynamic candidate came or went since the last turn */
static _Atomic int dyn_new;   /* a new thread's memory was armed since the last turn */
static int assigned;          /* the sampling slots have been given windows once */

/* Windows of the eligible sampled candidates, counted up to limit + 1. */
static uint32_t windows_up_to(uint32_t limit)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < ls_ncands + LS_DYN_MAX && w <= limit; i++) {
        int ci = i < ls_ncands ? (int)i : LS_DYN_BASE + (int)(i - ls_ncands);
        const struct ls_cand *c = ls_cand_get(ci);
        if (c->sync || !eligible(ci))
            continue;
        for (uint32_t off = 0; off < c->size && w <= limit; off += window_len(c, off))
            w++;
    }
    return w;
}

/* The windows a turn gives the sampling slots. */
struct pick {
    int c[LS_WATCH_SLOTS];
    uint32_t off[LS_WATCH_SLOTS];
    int n;
};

static int picked(const struct pick *p, int ci)
{
    for (int k = 0; k < p->n; k++)
        if (p->c[k] == ci)
            return 1;
    return 0;
}

/* Takes candidate ci's next window. */
static void take(struct pick *p, int ci)
{
    struct ls_cand *c = ls_cand_get(ci);
    p->c[p->n] = ci;
    p->off[p->n++] = c->cursor;
    uint32_t next = c->cursor + window_len(c, c->cursor);
    c->cursor = next >= c->size ? 0 : next;
}

/* One window each of the next globals in rotation order, up to want. */
static void pick_globals(struct pick *p, int want)
{
    for (uint32_t tries = 0; tries < ls_ncands && p->n < want; tries++) {
        int c = (int)ls_cand_order[next_cand++ % ls_ncands];
        if (!picked(p, c) && !ls_cands[c].sync && eligible(c))
            take(p, c);
    }
}

static uint32_t next_dyn;

/* The same of the dynamic candidates, round robin. */
static void pick_dyn(struct pick *p, int want)
{
    for (uint32_t tries = 0; tries < LS_DYN_MAX && p->n < want; tries++) {
        int c = LS_DYN_BASE + (int)(next_dyn++ % LS_DYN_MAX);
        if (picked(p, c) || !eligible(c))
            continue;
        /* A new object's thread may not have run yet: its first windows
         * again, for its first turns. */
        struct ls_dyn *d = &ls_dyn[c - LS_DYN_BASE];
        if (d->fresh_turns) {
            d->fresh_turns--;
            d->c.cursor = 0;
        }
        take(p, c);
    }
}

/* With slots left, more windows of the candidates picked in [from, to). */
static void pick_more(struct pick *p, int from, int to, int want)
{
    for (int added = 1; added && p->n < want;) {
        added = 0;
        for (int k = from; k < to && p->n < want; k++) {
            struct ls_cand *c = ls_cand_get(p->c[k]);
            int busy = 0;
            for (int j = 0; j < p->n; j++)
                busy |= p->c[j] == p->c[k] && p->off[j] == c->cursor;
            if (busy)
                continue;
            take(p, p->c[k]);
            added = 1;
        }
    }
}

/* A dynamic candidate's window that trapped in the turn ending keeps its
 * slot for HOT_TURNS turns more: the object's few busy bytes (a counter,
 * a header) are watched on, not passed over for its other windows. */
#define HOT_TURNS 3

static void keep_hot(struct pick *p, int want)
{
    for (int s = 0; s < ls_nslots && p->n < want; s++) {
        int ci = atomic_load(&ls_slots[s].cand);
        if (ls_slots[s].sync || ci < LS_DYN_BASE || !eligible(ci) ||
            !atomic_load(&ls_slots[s].first_tid))
            continue;
        struct ls_dyn *d = &ls_dyn[ci - LS_DYN_BASE];
        uint32_t off = atomic_load(&ls_slots[s].off);
        if (d->hot_off != off) {
            d->hot_off = off;
            d->hot_turns = 0;
        }
        if (d->hot_turns >= HOT_TURNS) {
            d->hot_turns = 0;
            d->hot_off = UINT32_MAX;
            continue;
        }
        int dup = 0;
        for (int k = 0; k < p->n; k++)
            dup |= p->c[k] == ci && p->off[k] == off;
        if (dup)
            continue;
        d->hot_turns++;
        p->c[p->n] = ci;
        p->off[p->n++] = off;
    }
}

static int dyn_eligible(void)
{
    if (!atomic_load(&ls_dyn_live))
        return 0;
    for (int i = 0; i < LS_DYN_MAX; i++)
        if (eligible(LS_DYN_BASE + i))
            return 1;
    return 0;
}

/* Before a global's 8-byte window is armed: the heap block it points to,
 * if it is a pointer to one, becomes a candidate too.  Read here, by the
 * sampler, which the handler ignores. */
static void follow_pointers(const struct pick *p)
{
    for (int k = 0; k < p->n; k++) {
        if (p->c[k] >= LS_DYN_BASE)
            continue;
        const struct ls_cand *c = &ls_cands[p->c[k]];
        if (c->tier == LS_TIER_UNREFERENCED || window_len(c, p->off[k]) != 8)
            continue;
        uint64_t a = c->addr + p->off[k];
        ls_objs_from_global(a, *(const volatile uint64_t *)(uintptr_t)a);
    }
}

static void rotate(void)
{
    int sampling = 0;
    for (int s = 0; s < ls_nslots; s++) {
        if (ls_slots[s].sync) {
            /* Never moved; re-armed if its bucket ran dry. */
            if (atomic_load(&ls_slots[s].benched))
                arm(s, atomic_load(&ls_slots[s].cand), 0);
        } else {
            sampling++;
        }
    }
    /* When every window fits, each keeps its slot (moving it would lose
     * the traps in between); a benched one gets it back. */
    int changed = atomic_exchange(&dyn_changed, 0);
    if (assigned && !changed && windows_up_to((uint32_t)sampling) <= (uint32_t)sampling) {
        for (int s = 0; s < ls_nslots; s++)
            if (!ls_slots[s].sync && atomic_load(&ls_slots[s].benched)) {
                int ci = atomic_load(&ls_slots[s].cand);
                arm(s, ci >= 0 && eligible(ci) ? ci : -1,
                    atomic_load(&ls_slots[s].off));
            }
        return;
    }
    /* The dynamic candidates (heap blocks, what threads are handed) and
     * the globals share the sampling slots: half each, the odd one to
     * either in turn; a side with nothing to watch leaves its share to the
     * other.  One window of each of the next candidates of a side; with
     * fewer candidates than slots, more windows of the same ones. */
    static uint32_t turns;
    int dyn = dyn_eligible();
    int want_dyn = !dyn ? 0 : ls_ncands ? (sampling + (int)(turns++ & 1)) / 2 : sampling;
    struct pick p = {.n = 0};
    keep_hot(&p, want_dyn);
    pick_dyn(&p, want_dyn);
    int nd = p.n;
    pick_globals(&p, sampling);
    int ng = p.n;
    if (dyn && nd < sampling)
        pick_dyn(&p, sampling);
    int nd2 = p.n;
    pick_more(&p, 0, nd, sampling);
    pick_more(&p, nd, ng, sampling);
    pick_more(&p, ng, nd2, sampling);
    follow_pointers(&p);
    int ntaken = p.n;
    int *taken_c = p.c;
    uint32_t *taken_off = p.off;
    int k = 0;
    for (int s = 0; s < ls_nslots; s++) {
        if (ls_slots[s].sync)
            continue;
        if (k < ntaken) {
            arm(s, taken_c[k], taken_off[k]);
            k++;
        } else {
            arm(s, -1, 0);
        }
    }
    assigned = 1;
}

/* The share of a slot's bucket at a refill of dt_ns, and its capacity.
 * The sampled slots share watch_rate a second for each thread that can run
 * at once (no more than there are CPUs); an _Atomic global followed as
 * synchronization has half of it for each live thread to itself: benching
 * it loses happens-before. */
static uint64_t rate_of(int s, int sampled)
{
    uint32_t threads = ls_live_threads();
    if (ls_slots[s].sync)
        return (uint64_t)ls_opt.watch_rate / 2 * threads;
    if (threads > ncpus)
        threads = ncpus;
    return (uint64_t)ls_opt.watch_rate * threads / (uint64_t)(sampled ? sampled : 1);
}

static int sampled_slots(void)
{
    int n = 0;
    for (int s = 0; s < ls_nslots; s++)
        n += !ls_slots[s].sync && atomic_load(&ls_slots[s].cand) >= 0;
    return n;
}

/* A sampled slot's bucket holds BUCKET_MS of half the budget whatever the
 * share: a short burst on one variable is sampled in full, as when two
 * variables shared the registers, while the rate over time stays the
 * process's. */
static int32_t cap_of(int s, int sampled)
{
    uint64_t rate = ls_slots[s].sync ? rate_of(s, sampled) : rate_of(s, 2);
    uint64_t c = rate * BUCKET_MS / 1000;
    return c < 4 ? 4 : c > INT32_MAX ? INT32_MAX : (int32_t)c;
}

/* Nanotokens carried from refill to refill (the sampler alone touches them). */
static uint64_t credit[LS_WATCH_SLOTS];

/* Every slot's bucket gains its share of dt_ns (a handler's decrement
 * racing with this may be lost: one trap more or less), and a slot whose
 * bucket one thread spent alone is armed again on the same window, while
 * that is cheap: that thread does not keep the others unsampled for the
 * rest of the turn.  (A bucket several threads spent has sampled them
 * already; moving its watchpoints again so soon would cost more than it
 * gives.) */
static int resting;           /* turns of the current rest still to go (sampler only) */

static void refill(long dt_ns)
{
    int rearm = ls_live_threads() <= CHEAP_REARM_THREADS && !resting;
    int sampled = sampled_slots();
    for (int s = 0; s < ls_nslots; s++) {
        credit[s] += rate_of(s, sampled) * (uint64_t)dt_ns;
        int32_t add = (int32_t)(credit[s] / 1000000000u);
        credit[s] %= 1000000000u;
        int32_t cap = cap_of(s, sampled);
        int32_t cur = atomic_load(&ls_slots[s].tokens);
        int64_t next = (int64_t)(cur < 0 ? 0 : cur) + add;
        atomic_store(&ls_slots[s].tokens, next > cap ? cap : (int32_t)next);
        int ci = atomic_load(&ls_slots[s].cand);
        if (rearm && atomic_load(&ls_slots[s].benched) && !atomic_load(&ls_slots[s].shared) &&
            ci >= 0 && (ls_slots[s].sync || eligible(ci)))
            arm(s, ci, ls_slots[s].sync ? 0 : atomic_load(&ls_slots[s].off));
    }
}

/* ---- rests ----------------------------------------------------------------- */

/* An armed debug register costs the whole program, whatever it watches and
 * whether anything touches it (watch_cost.c): zstd -T2, whose page faults,
 * switches and 50 MB of reads and writes in 0.33 s the registers make
 * dearer, ran 1.11x slower with four watchpoints on nothing, as slow as
 * with lockscope watching its heap blocks.  So once the young turns are
 * over (a short program is watched all its life, unless that is dear),
 * the sampling slots rest between turns, every one of them a disabled
 * event: one turn after a turn in which a watched window was touched by
 * two threads with one of them writing (what a race needs), two after a
 * turn that found nothing of the kind, more after a turn whose armed
 * registers cost the program more than 2% of it (in the young turns too,
 * past 10%).  A rest is never taken while an _Atomic global is followed
 * (its slot keeps the registers armed anyway), nor with watch_only (the
 * globals asked for are watched all the time), nor after a turn in which
 * a new thread's argument started being watched (ls_watch_dyn_now). */
static uint32_t turns_armed, turns_rested;

/* A window met on by two threads, one writing, in the turn ending (and
 * the marks cleared for the next). */
static int turn_met(void)
{
    int met = 0;
    for (int s = 0; s < ls_nslots; s++)
        met |= atomic_exchange(&ls_slots[s].met, 0);
    return met;
}

/* The turns to rest after the one ending (dear: what its cost asks for). */
static int rest_after(int met, int young, int dear)
{
    /* (watch_only: the globals a person named are followed without rests) */
    if (!assigned || atomic_exchange(&dyn_new, 0) || ls_opt.watch_only[0])
        return 0;
    for (int s = 0; s < ls_nslots; s++)
        if (ls_slots[s].sync)
            return 0;
    if (young)
        return dear;
    int r = met ? 1 : 2;
    return dear > r ? dear : r;
}

/* Every sampling slot sits out (benched: a rest ends with rotate(), which
 * re-arms or moves them). */
static void rest_slots(void)
{
    for (int s = 0; s < ls_nslots; s++)
        if (!ls_slots[s].sync && atomic_load(&ls_slots[s].cand) >= 0 &&
            !atomic_load(&ls_slots[s].benched))
            ls_slot_bench(s);
}

static void *sampler_main(void *arg)
{
    ls_guard = 1;
    long full = (long)ls_opt.watch_period_ms * 1000000L;
    long turn = YOUNG_NS < full ? YOUNG_NS : full;
    ls_watch_cost_start();
    for (;;) {
        long tick = turn / WINDOWS;
        struct timespec ts = {tick / 1000000000L, tick % 1000000000L};
        for (int w = 0; w < WINDOWS; w++) {
            nanosleep(&ts, NULL);
            /* The program's last thread has ended: do not keep it alive. */
            if (atomic_load(&ls_live_count) == 0)
                return arg;
            refill(tick);
            /* A thread that never calls into the shim (plain stores and
             * sleeps) would fill its access ring and drop the rest. */
            ls_access_rings_drain_all();
        }
        int met = turn_met();
        /* (a rest's turn is only counted) */
        int dear = ls_watch_cost_rests(turn, !resting,
                                       turn < full ? LS_WATCH_COST_YOUNG_PERMILLE
                                                   : LS_WATCH_COST_PERMILLE);
        /* A new thread's argument armed during a rest ends it: its first
         * turns are watched in full. */
        if (resting && atomic_load(&dyn_new))
            resting = 1;
        if (resting ? --resting != 0 : (resting = rest_after(met, turn < full, dear)) != 0) {
            rest_slots();
            turns_rested++;
        } else {
            rotate();
            turns_armed++;
        }
        turn = turn * 2 < full ? turn * 2 : full;
    }
    return arg;
}

static void start_sampler(void)
{
    pthread_t th;
    ls_shim_thread(&th, 128 * 1024, sampler_main);
}

/* ---- the trap ------------------------------------------------------------ */

void ls_watch_on_trap(int sig, siginfo_t *si, void *ucv);
void ls_watch_on_trap(int sig, siginfo_t *si, void *ucv)
{
    uint64_t tag = *(const unsigned long *)((const char *)&si->si_addr + sizeof(void *));
    if (si->si_code != TRAP_PERF || (tag & LS_TAG_MASK) != LS_TAG_MAGIC) {
        ls_signals_chain_trap(sig, si, ucv);
        return;
    }
    ls_trap_handler(sig, si, ucv);
}

/* ---- status ---------------------------------------------------------------- */

static uint32_t last_status;

static void record_status(uint32_t status, const char *msg)
{
    last_status = status;
    struct ls_rec_watch w = {
        .status = status,
        .candidates = ls_ncands,
        .slots = (uint32_t)ls_nslots,
        .classify = (uint32_t)ls_decode_on,
        .msg_len = (uint32_t)strlen(msg),
        .sync = nsync | (atomic_load(&ls_sync_incomplete) ? LS_WATCH_SYNC_INCOMPLETE : 0),
        .traps = atomic_load(&ls_wcount.traps),
        .exact = atomic_load(&ls_wcount.exact),
        .inexact = atomic_load(&ls_wcount.inexact),
        .no_access = atomic_load(&ls_wcount.no_access),
        .undecoded = atomic_load(&ls_wcount.undecoded),
        .foreign = atomic_load(&ls_wcount.foreign),
        .stray = atomic_load(&ls_wcount.stray),
        .atomic = atomic_load(&ls_wcount.atomic),
        .limited = atomic_load(&ls_wcount.limited),
    };
    ls_writer_record(LS_REC_WATCH, &w, sizeof w, msg, w.msg_len, NULL, 0);
}

/* _Atomic globals get slots of their own, for the whole run: their
 * accesses are the program's synchronization and none may be missed.  One
 * slot stays for sampling the others.  Globals that atomic instructions
 * access (a flag set with __atomic_exchange_n, a counter bumped with lock
 * add) are followed the same way while two slots stay for sampling; the
 * others are sampled like any variable (their atomic accesses still
 * synchronize while watched). */
static void assign_sync_slots(void)
{
    uint32_t want = 0;
    for (uint32_t i = 0; i < ls_ncands; i++)
        want += ls_cands[i].sync == 1;
    int s = 0;
    for (int kind = 1; kind <= 2; kind++)
        for (uint32_t i = 0; i < ls_ncands; i++) {
            if (ls_cands[i].sync != kind)
                continue;
            if (s >= ls_nslots - (kind == 1 ? 1 : 2)) {
                if (kind == 2)
                    ls_cands[i].sync = 0;
                continue;
            }
            ls_slots[s].sync = kind;
            arm(s, (int)i, 0);
            s++;
            nsync += kind == 1;
        }
    if (nsync < want)
        atomic_store(&ls_sync_incomplete, 1);
}

/* At exit: what became of the traps, how following the _Atomic globals went. */
void ls_watch_finish(void)
{
    uint32_t spurious = ls_signals_spurious_traps();
    if (spurious) {
        char msg[160];
        snprintf(msg, sizeof msg, "%u debug trap%s without a cause (a watchpoint hit the CPU "
                 "did not report) %s ignored", spurious, spurious == 1 ? "" : "s",
                 spurious == 1 ? "was" : "were");
        ls_writer_note(LS_NOTE_INFO, msg);
    }
    if (atomic_load(&watching)) {
        record_status(last_status, "");
        struct ls_rec_watch_turns tr = {turns_armed, turns_rested};
        ls_writer_record(LS_REC_WATCH_TURNS, &tr, sizeof tr, NULL, 0, NULL, 0);
    }
}

static void refused(const char *why)
{
    char msg[200];
    snprintf(msg, sizeof msg, "the kernel refused hardware watchpoints (%s)", why);
    ls_warn("lockscope: %s; data races are not checked, lock checks go on", msg);
    record_status(LS_WATCH_REFUSED, msg);
}

void ls_watch_init(void)
{
    if (!ls_opt.watch) {
        record_status(LS_WATCH_OFF, "turned off (LOCKSCOPE_OPTIONS=watch=0)");
        return;
    }
    /* The interpreter's own globals are guarded by its GIL, which lockscope
     * does not count as synchronization of the program's. */
    if (ls_py_rt_lo) {
        record_status(LS_WATCH_OFF,
                      ls_py_on ? "off for the interpreter's C globals in a CPython process (its "
                                 "GIL guards them; Python globals are watched instead)"
                               : "off in a CPython process (the interpreter's globals are "
                                 "guarded by its GIL; Python variables are not watched with "
                                 "this interpreter)");
        return;
    }
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0)
        ncpus = (uint32_t)CPU_COUNT(&cpus);
    /* Opened here, in the first thread, so that every thread inherits them.
     * Fewer than four (a debugger holds some) still watch. */
    int err = 0;
    for (int s = 0; s < LS_WATCH_SLOTS; s++) {
        struct perf_event_attr a;
        ls_watch_fill_attr(&a, (uint64_t)(uintptr_t)&dummy_target[s], 8, ls_tag_of(s, 0), 1);
        int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            err = errno;
            break;
        }
        ls_slots[ls_nslots].fd = fd;
        atomic_store(&ls_slots[ls_nslots].cand, -1);
        ls_nslots++;
    }
    if (ls_nslots == 0) {
        refused(strerror(err));
        return;
    }
    ls_signals_take_trap(ls_watch_on_trap);
    record_status(LS_WATCH_ON, "");
    atomic_store(&watching, 1);
    /* Armed when the program starts its first thread: before that nothing
     * can race, and a single-threaded program keeps glibc's fast paths
     * (our sampler thread would make it multi-threaded). */
}

/* The program's globals, the decoder, the memory the handler needs: found
 * when the first thread starts.  0 if watching goes on. */
static int prepare(void)
{
    /* Without globals, what the threads are handed and the sampled heap
     * blocks are still watched. */
    ls_cands_find();
    ls_stacks_ready();
    ls_decode_on = ls_opt.watch_decode && ls_decode_load() == 0;
    if (ls_opt.watch_decode && !ls_decode_on)
        ls_warn("lockscope: warning: the instruction decoder (libZydis.so.4.0) cannot be "
                "loaded; sampled accesses are counted but races are not judged");
    if (ls_trap_init() != 0) {
        ls_warn("lockscope: warning: no memory for the watchpoints; data races are not checked");
        return -1;
    }
    return 0;
}

void ls_watch_threads_start(void)
{
    static _Atomic int started;
    if (!atomic_load(&watching) || atomic_exchange(&started, 1))
        return;
    ls_guard++;
    if (prepare() != 0) {
        atomic_store(&watching, 0);
        ls_guard--;
        return;
    }
    assign_sync_slots();
    int sampled = 0;
    for (int s = 0; s < ls_nslots; s++)
        sampled += !ls_slots[s].sync;
    for (int s = 0; s < ls_nslots; s++) /* full buckets to start with */
        atomic_store(&ls_slots[s].tokens, cap_of(s, sampled));
    rotate();
    record_status(LS_WATCH_ON, "");
    start_sampler();
    ls_guard--;
}

int ls_watching(void)
{
    return atomic_load_explicit(&watching, memory_order_relaxed);
}

/* A new thread's argument is watched from before the thread starts: its
 * first windows (its start need not be aligned: a few windows cover its
 * first fields) on half the sampling slots, those that watch nothing
 * first, until the next turn gives the slots out again.  Another thread of
 * the same argument finds it watched already. */
static void dyn_now(int ci, uint32_t start, int idle_only);

void ls_watch_dyn_now(int ci, uint32_t start)
{
    dyn_now(ci, start, 0);
}

/* The same on the sampling slots that watch nothing only. */
void ls_watch_dyn_idle(int ci, uint32_t start)
{
    dyn_now(ci, start, 1);
}

static void dyn_now(int ci, uint32_t start, int idle_only)
{
    atomic_store(&dyn_changed, 1);
    atomic_store(&dyn_new, 1);
    struct ls_cand *c = ls_cand_get(ci);
    if (!atomic_load(&watching) || ls_nslots == 0 || !c)
        return;
    /* The aligned window holding start. */
    uint32_t off = 0;
    while (off + window_len(c, off) <= start && off < c->size)
        off += window_len(c, off);
    int order[LS_WATCH_SLOTS], n = 0, sampling = 0;
    for (int s = 0; s < ls_nslots; s++) {
        if (ls_slots[s].sync)
            continue;
        sampling++;
        if (atomic_load(&ls_slots[s].cand) == ci && atomic_load(&ls_slots[s].off) == off)
            return;
    }
    for (int idle = 1; idle >= idle_only; idle--)
        for (int s = ls_nslots - 1; s >= 0; s--)
            if (!ls_slots[s].sync && (atomic_load(&ls_slots[s].cand) < 0) == idle)
                order[n++] = s;
    int want = (sampling + 1) / 2;
    for (int k = 0; k < want && k < n && off < c->size; k++) {
        arm(order[k], ci, off);
        off += window_len(c, off);
    }
    /* The cursor stays: the next turn starts the object from its first
     * windows again, in case its thread has not run yet. */
}

/* Before the memory of ci goes back to the program: no slot watches it. */
void ls_watch_dyn_gone(int ci)
{
    atomic_store(&dyn_changed, 1);
    for (int s = 0; s < ls_nslots; s++) {
        if (ls_slots[s].sync)
            continue;
        /* A move in progress finishes first: its candidate is then known. */
        ls_spin_lock(&ls_slots[s].move);
        int cur = atomic_load(&ls_slots[s].cand);
        ls_spin_unlock(&ls_slots[s].move);
        if (cur == ci)
            arm(s, -1, 0);
    }
}
