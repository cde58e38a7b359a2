/*
 * CPython: data races on Python variables (module globals of the
 * program's own modules), with hardware watchpoints.
 *
 * A module global is an entry of its module's dict; the 8 bytes of the
 * entry's value slot are what LOAD_GLOBAL, LOAD_NAME, STORE_GLOBAL and
 * STORE_NAME read and write.  One read-write debug register watches one
 * slot (x86-64 has four).  The trap comes, as a SIGTRAP, in the thread
 * that made the access, and that thread holds the GIL: the handler reads
 * its current frame raw (python.c's offsets, no call into the interpreter)
 * and keeps the access only if the instruction it executes is a global
 * access of that very name in that very module: the garbage collector's
 * reads of the slot, dict copies and resizes are dropped.  It records the
 * raw facts (the variable, read or write, the frames' code objects and
 * instruction indexes, the thread's vector clock and the locks it holds) in
 * a ring; the frames are turned into Python file:line at the next point
 * where some thread holds the GIL inside the shim (a Python lock call,
 * Thread.start), and written as LS_REC_PYACCESS.
 *
 * The happens-before is the shim's, made from Python's own
 * synchronization (python_sem.c): Lock and RLock, Condition waiters,
 * Thread.start (pthread_create) and join (the thread's sentinel).  The GIL
 * is never an edge.
 *
 * Which globals: python_vars.c.  Up to four are watched at a time; with
 * more, they take 100 ms turns (the sampler moves them, the stored ones
 * first).  When a dict grows its entries move: each GIL-held point checks
 * the dict's table and moves the watchpoint, and so does the sampler every
 * 20 ms (reading the table with process_vm_readv, which cannot fault).  A
 * slot trapping more than its budget is set aside until the sampler
 * refills it.
 */
#define _GNU_SOURCE
#include "python_race.h"
#include "watch.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif

#define SLOTS 4
#define RING 1024             /* accesses waiting for their Python lines */
#define FRAMES 8              /* Python frames kept per access */
#define HELD 8
#define TAG_MAGIC 0x50590000ull /* "PY" in bits 16-31 of sig_data */
#define TAG_MASK 0xffff0000ull
#define RATE 2000             /* traps a second a slot may take */
#define CAP 1500              /* a slot's bucket */
#define TICK_NS 20000000L     /* the sampler's refill period */
#define TURN_NS 100000000ull  /* a turn, when the candidates take turns */
#define SEEN 256              /* a slot's accesses told apart (a power of two) */
#define STREAK 256            /* traps in a row that told nothing new: the slot sits out */
#define WOKEN_TOKENS 10       /* traps for a thread new to a slot, as it wakes */
#define MAX_SHIFT 3           /* it sits out 2^shift - 1 ticks at most (140 ms) */


struct pslot {
    int fd;
    _Atomic int var;          /* index into vars, -1 none */
    _Atomic int32_t tokens;
    _Atomic int benched;
    /* What its traps told: an access by a thread, at an instruction, with
     * locks held, that the slot had not seen before is fresh; the same
     * again says nothing the first did not (within budget the analyzer
     * keeps them all).  A slot whose traps keep repeating themselves, a
     * hot global always touched the same way, sits out longer each time it
     * runs dry, up to 2^MAX_SHIFT ticks; a fresh access brings it back to
     * the plain budget.  Traps are dear (a debug exception, a signal, in a
     * VM an exit or two), and so are the interrupts that move a watchpoint
     * in every thread. */
    _Atomic uint32_t seen[SEEN];
    _Atomic uint32_t fresh;   /* fresh accesses since the last time it ran dry */
    _Atomic uint32_t streak;  /* traps in a row without a fresh one */
    int shift;                /* the sampler's: how long it sat out last */
    _Atomic int rest;         /* ticks left to sit out; -1: not decided yet */
    /* Bit tid % 64 of each thread that trapped on it: a thread not among
     * them waking up for the GIL while the slot sits out brings it back
     * (see ls_pyr_gil_woken), for a few traps, at most once a tick. */
    _Atomic uint64_t tids;
    _Atomic uint32_t woke_tick;
};

struct pentry {
    _Atomic uint32_t ready;
    uint32_t tid, epoch, version, nvc;
    uint32_t var;
    uint32_t flags;
    uint32_t nheld, nframes;
    uint32_t owned;           /* frames whose code object the trap took a reference to */
    uint32_t held[HELD];
    const void *codes[FRAMES];
    int lastis[FRAMES];
    uint64_t ns;
    uint32_t vc[LS_RING_VC];
};

struct pvar ls_pyr_vars[MAX_VARS];
_Atomic uint32_t ls_pyr_nvars;
static struct pslot slots[SLOTS];
static int nslots;
static long dummy[SLOTS];
static struct pentry *ring;
static _Atomic uint32_t ring_head, ring_tail;
static _Atomic int on, forked, sampler_started, draining, closed;
_Atomic int ls_pyr_handoff_unseen;
static struct ls_spin arm_spin; /* moving watchpoints: the sampler, GIL-held points */
static int minor;
static uint32_t turn_next;
static _Atomic uint32_t tick_no; /* the sampler's ticks so far */
static struct {
    _Atomic uint64_t traps, accesses, limited, unresolved, dropped;
} cnt;

static int op_load_global, op_store_global, op_load_name, op_store_name, op_del_global,
    op_del_name, op_ext, op_ext2, op_lg_spec[3];

static __thread void *my_ts LS_TLS;
static __thread uint32_t gil_calls LS_TLS;
/* The thread's last access kept: another one at the same instruction,
 * with the same clock and the same locks held, would tell nothing more
 * (STORE_GLOBAL traps twice: it reads the old value, then writes). */
static __thread struct {
    const void *code;
    int lasti;
    uint32_t var, epoch, version;
    uint64_t held;
} last LS_TLS;

struct pyr_api pyapi;

/* ---- watchpoints --------------------------------------------------------- */

static void point(int s, uint64_t addr)
{
    struct perf_event_attr a;
    ls_watch_fill_attr(&a, addr ? addr : (uint64_t)(uintptr_t)&dummy[s], 8, TAG_MAGIC | (uint64_t)s,
                       addr == 0);
    ioctl(slots[s].fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a);
}

static void status(uint32_t st, const char *msg)
{
    uint32_t cands = atomic_load(&ls_pyr_nvars);
    struct ls_rec_pywatch w = {
        .status = st,
        .vars = 0,
        .candidates = cands,
        .slots = (uint32_t)nslots,
        .traps = atomic_load(&cnt.traps),
        .accesses = atomic_load(&cnt.accesses),
        .limited = atomic_load(&cnt.limited),
        .unresolved = atomic_load(&cnt.unresolved) + atomic_load(&cnt.dropped),
        .msg_len = (uint32_t)strlen(msg),
        .flags = atomic_load(&ls_pyr_handoff_unseen) ? LS_PYWATCH_HANDOFF_UNSEEN : 0,
    };
    for (uint32_t i = 0; i < cands; i++)
        w.vars += atomic_load(&ls_pyr_vars[i].slot) != 0;
    ls_writer_record(LS_REC_PYWATCH, &w, sizeof w, msg, w.msg_len, NULL, 0);
}

/* ---- what the traps tell --------------------------------------------------- */

/* A new variable on slot s: nothing seen on it yet (the sampler or a
 * GIL-held point, under arm_spin). */
static void forget(int s)
{
    for (int i = 0; i < SEEN; i++)
        atomic_store_explicit(&slots[s].seen[i], 0, memory_order_relaxed);
    atomic_store(&slots[s].fresh, 0);
    atomic_store(&slots[s].streak, 0);
    atomic_store(&slots[s].rest, -1);
    atomic_store(&slots[s].tids, 0);
    slots[s].shift = 0;
}

/* 1 if slot s had not seen the access keyed h before (a full table counts
 * as fresh: many different accesses are worth their traps). */
static int fresh_access(int s, uint64_t h)
{
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    uint32_t k = (uint32_t)h | 1;
    for (uint32_t i = 0; i < 8; i++) {
        _Atomic uint32_t *e = &slots[s].seen[(k + i) & (SEEN - 1)];
        uint32_t cur = atomic_load_explicit(e, memory_order_relaxed);
        if (cur == k)
            return 0;
        if (cur == 0 && atomic_compare_exchange_strong(e, &cur, k))
            return 1;
        if (cur == k)
            return 0;
    }
    return 1;
}

/* ---- the trap ------------------------------------------------------------ */

/* The access the thread's current instruction makes: the name index and
 * 1 for a write, 0 a read; -1 if it is no global access. */
int ls_pyr_classify(const unsigned char *u, int lasti, int *name)
{
    int op = u[2 * lasti], arg = u[2 * lasti + 1];
    if (lasti > 0 && (u[2 * lasti - 2] == op_ext || (op_ext2 && u[2 * lasti - 2] == op_ext2)))
        arg |= u[2 * lasti - 1] << 8;
    if (op == op_load_global || op == op_lg_spec[0] || op == op_lg_spec[1] ||
        (op_lg_spec[2] && op == op_lg_spec[2])) {
        *name = arg >> 1;
        return 0;
    }
    *name = arg;
    if (op == op_load_name)
        return 0x10;
    if (op == op_store_global || op == op_del_global)
        return 1;
    if (op == op_store_name || op == op_del_name)
        return 0x11;
    return -1;
}

static void trap(int sig, siginfo_t *si, void *uc)
{
    uint64_t tag = *(const unsigned long *)((const char *)&si->si_addr + sizeof(void *));
    if (si->si_code != TRAP_PERF || (tag & TAG_MASK) != TAG_MAGIC) {
        ls_signals_chain_trap(sig, si, uc);
        return;
    }
    int saved = errno;
    struct ls_thread *t = ls_self;
    void *ts = my_ts;
    int s = (int)(tag & 0xff);
    /* Once the interpreter finalizes, thread states and frames are freed. */
    if (!t || ls_guard || !ts || atomic_load(&forked) || atomic_load(&closed) || s >= nslots ||
        ls_py_finalizing())
        goto done;
    atomic_fetch_add(&cnt.traps, 1);
    /* Delivered late: the frame on top is not the access's. */
    if (ls_trap_async(si))
        goto done;
    /* Every trap costs, kept or not: a hot global sits out until the
     * sampler's next refill. */
    if (atomic_fetch_sub(&slots[s].tokens, 1) <= 0) {
        atomic_fetch_add(&cnt.limited, 1);
        if (!atomic_exchange(&slots[s].benched, 1))
            point(s, 0);
        goto done;
    }
    const char *f = ls_py_top_frame(ts), *co;
    int lasti, name;
    if (!f || !ls_py_frame_code(f, &co, &lasti))
        goto done;
    int k = ls_pyr_classify(ls_py_code_units(co), lasti, &name);
    if (k < 0)
        goto done;
    const char *names = RD(co, CO_NAMES, const char *);
    if (!names || name >= RD(names, OB_SIZE, Py_ssize_t))
        goto done;
    void *key = RD(names, TUPLE_ITEMS + 8 * name, void *);
    void *g = ls_py_frame_globals(f);
    if ((k & 0x10) && ls_py_frame_locals(f) != g)
        goto done; /* a class body's or exec's own namespace */
    uint32_t nv = atomic_load(&ls_pyr_nvars), vi;
    for (vi = 0; vi < nv; vi++)
        if (ls_pyr_vars[vi].key == key && ls_pyr_vars[vi].dict == g &&
            atomic_load(&ls_pyr_vars[vi].armed))
            break;
    if (vi == nv)
        goto done;
    uint64_t tbit = 1ull << (t->tid & 63);
    if (!(atomic_load_explicit(&slots[s].tids, memory_order_relaxed) & tbit))
        atomic_fetch_or(&slots[s].tids, tbit);
    uint64_t key_h = (uint64_t)(uintptr_t)co * 31 + (uint64_t)lasti * 0x9e3779b97f4a7c15ull +
                     ((uint64_t)t->tid << 40) + ((uint64_t)vi << 1) + (k & 1) + t->heldhash;
    if (fresh_access(s, key_h)) {
        atomic_fetch_add(&slots[s].fresh, 1);
        atomic_store(&slots[s].streak, 0);
    } else if (atomic_fetch_add(&slots[s].streak, 1) + 1 >= STREAK) {
        /* Nothing new for a while: it sits out (the sampler says how long).
         * This access is still kept. */
        atomic_store(&slots[s].tokens, 0);
        if (!atomic_exchange(&slots[s].benched, 1))
            point(s, 0);
    }
    /* STORE_GLOBAL reads the old value, then writes: one access. */
    uint32_t epoch = t->vc.v ? t->vc.v[t->tid] : 0;
    if (last.code == co && last.lasti == lasti && last.var == vi + 1 && last.epoch == epoch &&
        last.version == t->vc_version && last.held == t->heldhash)
        goto done;
    last.code = co;
    last.lasti = lasti;
    last.var = vi + 1;
    last.epoch = epoch;
    last.version = t->vc_version;
    last.held = t->heldhash;
    uint32_t h = atomic_fetch_add(&ring_head, 1);
    if (h - atomic_load(&ring_tail) >= RING) {
        atomic_fetch_sub(&ring_head, 1);
        atomic_fetch_add(&cnt.dropped, 1);
        goto done;
    }
    struct pentry *e = &ring[h % RING];
    e->tid = t->tid;
    e->epoch = epoch;
    e->version = t->vc_version;
    uint32_t n = t->vc.n;
    e->nvc = t->vc.v && n <= LS_RING_VC ? n : 0;
    if (e->nvc)
        memcpy(e->vc, t->vc.v, n * sizeof(uint32_t));
    e->var = vi;
    e->flags = (k & 1) ? LS_ACCESS_WRITE : LS_ACCESS_READ;
    uint32_t nh = t->nheld < HELD ? t->nheld : HELD;
    for (uint32_t i = 0; i < nh; i++)
        e->held[i] = t->held[i].id;
    e->nheld = nh;
    uint32_t nf = 0;
    e->owned = 0;
    for (const char *fr = f; fr && nf < FRAMES; fr = ls_py_frame_next(fr)) {
        const char *c;
        int li;
        if (!ls_py_frame_code(fr, &c, &li))
            continue;
        /* A reference until the lines are read: the code of the main
         * module's body is freed as soon as the body has run.  The
         * interrupted thread holds the GIL, and the instruction that
         * trapped touched the dict slot, not this count; immortal objects
         * (3.12+) are left alone. */
        int64_t *rc = (int64_t *)(uintptr_t)c;
        if ((int32_t)*rc > 0) {
            ++*rc;
            e->owned |= 1u << nf;
        }
        e->codes[nf] = c;
        e->lastis[nf++] = li;
    }
    e->nframes = nf;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    e->ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    atomic_store_explicit(&e->ready, h + 1, memory_order_release);
done:
    (void)uc;
    errno = saved;
}

/* ---- GIL-held work: lines, slots, candidates ------------------------------ */

/* The accesses trapped so far, written with their Python stacks. */
static void drain(void)
{
    uint32_t tail = atomic_load(&ring_tail), head = atomic_load(&ring_head);
    for (; tail != head; tail++) {
        struct pentry *e = &ring[tail % RING];
        if (atomic_load_explicit(&e->ready, memory_order_acquire) != tail + 1)
            break; /* being written by a trap of this thread? later */
        uint32_t stack = ls_py_stack_of(e->codes, e->lastis, (int)e->nframes);
        for (uint32_t i = 0; i < e->nframes; i++)
            if (e->owned & (1u << i))
                pyapi.decref((void *)e->codes[i]);
        if (!stack || !e->nvc) {
            atomic_fetch_add(&cnt.unresolved, 1);
        } else {
            struct ls_rec_clock c = {.tid = e->tid, .version = e->version, .n = e->nvc};
            ls_writer_record(LS_REC_CLOCK, &c, sizeof c, e->vc, e->nvc * sizeof(uint32_t), NULL,
                             0);
            struct ls_rec_pyaccess a = {
                .tid = e->tid,
                .epoch = e->epoch,
                .clock_version = e->version,
                .flags = e->flags,
                .var = ls_pyr_vars[e->var].id,
                .stack = stack,
                .nheld = e->nheld,
                .ns = e->ns,
            };
            ls_writer_record(LS_REC_PYACCESS, &a, sizeof a, e->held, e->nheld * sizeof(uint32_t),
                             NULL, 0);
            atomic_fetch_add(&cnt.accesses, 1);
        }
        atomic_store(&e->ready, 0);
        atomic_store(&ring_tail, tail + 1);
    }
}

/* The value slot of key in dict d (a combined table), 0 if it is not there. */
uint64_t ls_pyr_slot_of(void *d, void *key, void **keys_out)
{
    char *keys = RD(d, MA_KEYS, char *);
    *keys_out = keys;
    if (!keys || RD(d, MA_VALUES, void *))
        return 0;
    int kind = RD(keys, DK_KIND, uint8_t);
    char *ent = keys + DK_INDICES + ((size_t)1 << RD(keys, DK_LOG2_INDEX, uint8_t));
    size_t esize = kind == 0 ? 24 : 16, koff = kind == 0 ? 8 : 0;
    Py_ssize_t n = RD(keys, DK_NENTRIES, Py_ssize_t);
    for (Py_ssize_t i = 0; i < n; i++)
        if (RD(ent + i * esize, koff, void *) == key)
            return (uint64_t)(uintptr_t)(ent + i * esize + koff + 8);
    return 0;
}

static void arm(int s, int vi)
{
    int old = atomic_exchange(&slots[s].var, vi);
    int mine = s + 1;
    if (old != vi)
        forget(s);
    if (old >= 0) /* unless another slot took it meanwhile */
        atomic_compare_exchange_strong(&ls_pyr_vars[old].armed, &mine, 0);
    uint64_t a = 0;
    if (vi >= 0) {
        void *keys;
        a = ls_pyr_slot_of(ls_pyr_vars[vi].dict, ls_pyr_vars[vi].key, &keys);
        atomic_store(&ls_pyr_vars[vi].keys, keys);
        atomic_store(&ls_pyr_vars[vi].slot, a);
        atomic_store(&ls_pyr_vars[vi].armed, s + 1);
    }
    atomic_store(&slots[s].rest, -1);
    atomic_store(&slots[s].benched, 0);
    point(s, a);
}

/* 1 if the dict of a watched variable has a new table (GIL held; the
 * slots may change meanwhile: then follow() looks again). */
static int moved(void)
{
    for (int s = 0; s < nslots; s++) {
        int vi = atomic_load_explicit(&slots[s].var, memory_order_relaxed);
        if (vi >= 0 && RD(ls_pyr_vars[vi].dict, MA_KEYS, void *) !=
                           atomic_load_explicit(&ls_pyr_vars[vi].keys, memory_order_relaxed))
            return 1;
    }
    return 0;
}

/* The dict of a watched variable was resized (or the name deleted): the
 * watchpoint follows its entry. */
static void follow(void)
{
    for (int s = 0; s < nslots; s++) {
        int vi = atomic_load(&slots[s].var);
        if (vi < 0 ||
            RD(ls_pyr_vars[vi].dict, MA_KEYS, void *) == atomic_load(&ls_pyr_vars[vi].keys))
            continue;
        arm(s, vi);
    }
}

/* Reads n bytes at addr without faulting (memory another thread may free
 * meanwhile); 0 on success. */
static int safe_read(const void *addr, void *out, size_t n)
{
    struct iovec local = {out, n}, remote = {(void *)(uintptr_t)addr, n};
    return syscall(SYS_process_vm_readv, (long)getpid(), &local, 1L, &remote, 1L, 0L) ==
                   (long)n
               ? 0
               : -1;
}

/* Without the GIL (the sampler): where var v's value slot is now, read
 * with safe_read, as the dict's table may be replaced meanwhile.  A wrong
 * guess costs traps the handler drops, and the next GIL-held point
 * corrects it.  0 if not found. */
static uint64_t resolve_unlocked(struct pvar *v, char **keys_out)
{
    char *keys;
    if (safe_read((char *)v->dict + MA_KEYS, &keys, sizeof keys) != 0 || !keys)
        return 0;
    *keys_out = keys;
    unsigned char hdr[DK_INDICES];
    if (safe_read(keys, hdr, sizeof hdr) != 0)
        return 0;
    int kind = hdr[DK_KIND];
    Py_ssize_t n;
    memcpy(&n, hdr + DK_NENTRIES, sizeof n);
    size_t esize = kind == 0 ? 24 : 16, koff = kind == 0 ? 8 : 0;
    char *ent = keys + DK_INDICES + ((size_t)1 << (hdr[DK_LOG2_INDEX] & 31));
    char buf[24 * 64];
    for (Py_ssize_t i = 0; n > 0 && i < n && i < 1 << 16; i += 64) {
        Py_ssize_t m = n - i < 64 ? n - i : 64;
        if (safe_read(ent + i * esize, buf, (size_t)m * esize) != 0)
            return 0;
        for (Py_ssize_t j = 0; j < m; j++) {
            void *k;
            memcpy(&k, buf + j * esize + koff, sizeof k);
            if (k == v->key)
                return (uint64_t)(uintptr_t)(ent + (i + j) * esize + koff + 8);
        }
    }
    return 0;
}

/* Slot s to variable vi (-1: nothing), from the sampler. */
static void arm_unlocked(int s, int vi)
{
    char *keys = NULL;
    uint64_t a = vi >= 0 ? resolve_unlocked(&ls_pyr_vars[vi], &keys) : 0;
    int old = atomic_exchange(&slots[s].var, a ? vi : -1);
    int mine = s + 1;
    if (old != (a ? vi : -1))
        forget(s);
    if (old >= 0)
        atomic_compare_exchange_strong(&ls_pyr_vars[old].armed, &mine, 0);
    if (a) {
        atomic_store(&ls_pyr_vars[vi].keys, keys);
        atomic_store(&ls_pyr_vars[vi].slot, a);
        atomic_store(&ls_pyr_vars[vi].armed, s + 1);
    }
    atomic_store(&slots[s].rest, -1);
    atomic_store(&slots[s].benched, 0);
    point(s, a);
}

/* The dict of a watched variable grew (3.13 joins threads without a
 * Python lock call, so a GIL-held point may be far off). */
static void follow_unlocked(int s, int vi)
{
    char *keys;
    if (safe_read((char *)ls_pyr_vars[vi].dict + MA_KEYS, &keys, sizeof keys) != 0 ||
        keys == atomic_load(&ls_pyr_vars[vi].keys))
        return;
    arm_unlocked(s, vi);
}

/* The next turn, with more candidates than slots: those a function stores
 * first. */
static void rotate_unlocked(void)
{
    uint32_t n = atomic_load(&ls_pyr_nvars);
    if (n <= (uint32_t)nslots)
        return;
    uint32_t order[MAX_VARS], k = 0;
    for (int tier = 0; tier < 2; tier++)
        for (uint32_t i = 0; i < n; i++)
            if (ls_pyr_vars[i].tier == tier)
                order[k++] = i;
    for (int s = 0; s < nslots; s++)
        arm_unlocked(s, (int)order[(turn_next + (uint32_t)s) % k]);
    turn_next = (turn_next + (uint32_t)nslots) % k;
}

/* Slot s ran dry: 1 while it sits out this tick.  Longer each time it
 * ran dry on nothing fresh, back to the next tick after a fresh access. */
static int sits_out(int s)
{
    struct pslot *sl = &slots[s];
    int r = atomic_load(&sl->rest);
    if (r < 0) {
        if (atomic_exchange(&sl->fresh, 0))
            sl->shift = 0;
        else if (sl->shift < MAX_SHIFT)
            sl->shift++;
        r = (1 << sl->shift) - 1;
    }
    if (r > 0) {
        atomic_store(&sl->rest, r - 1);
        return 1;
    }
    atomic_store(&sl->rest, -1);
    return 0;
}

static void *sampler(void *arg)
{
    ls_guard = 1;
    struct timespec tick = {0, TICK_NS};
    for (uint64_t ticks = 1;; ticks++) {
        nanosleep(&tick, NULL);
        atomic_store(&tick_no, (uint32_t)ticks);
        if (atomic_load(&ls_live_count) == 0 || atomic_load(&closed))
            return arg;
        ls_spin_lock(&arm_spin);
        if (atomic_load(&closed)) {
            ls_spin_unlock(&arm_spin);
            return arg;
        }
        if (ticks % (TURN_NS / TICK_NS) == 0)
            rotate_unlocked();
        for (int s = 0; s < nslots; s++) {
            int vi = atomic_load(&slots[s].var);
            int benched = vi >= 0 && atomic_load(&slots[s].benched);
            if (benched && sits_out(s))
                continue;
            int32_t cur = atomic_load(&slots[s].tokens);
            int32_t q = (int32_t)(RATE * (TICK_NS / 1000000) / 1000);
            /* After sitting out long, a smaller budget: its traps were
             * telling nothing new (a thread it does not know brings it
             * back whole, ls_pyr_gil_woken). */
            if (benched)
                q >>= slots[s].shift;
            int32_t next = (cur < 0 ? 0 : cur) + q;
            atomic_store(&slots[s].tokens, next > CAP ? CAP : next);
            /* Back on its slot (found again: the dict may have grown). */
            if (benched) {
                atomic_store(&slots[s].streak, 0);
                arm_unlocked(s, vi);
            }
            else if (vi >= 0)
                follow_unlocked(s, vi);
        }
        ls_spin_unlock(&arm_spin);
    }
    return arg;
}

/* A thread woke up in a wait of the interpreter's own (for the GIL,
 * nearly always): it runs Python code next.  A slot sitting out that this
 * thread never trapped on comes back now, for a few traps: a thread
 * that touches a hot global now and then would else nearly always find it
 * sitting out, the hot threads having spent its traps.  The threads the
 * slot knows (the hot ones handing the GIL to each other) change nothing. */
void ls_pyr_gil_woken(void)
{
    if (!atomic_load_explicit(&on, memory_order_relaxed) || atomic_load(&forked) ||
        atomic_load(&closed))
        return;
    struct ls_thread *t = ls_self;
    if (!t || ls_guard)
        return;
    uint64_t tbit = 1ull << (t->tid & 63);
    uint32_t now = atomic_load_explicit(&tick_no, memory_order_relaxed);
    for (int s = 0; s < nslots; s++) {
        struct pslot *sl = &slots[s];
        if (!atomic_load_explicit(&sl->benched, memory_order_relaxed) ||
            (atomic_load_explicit(&sl->tids, memory_order_relaxed) & tbit) ||
            atomic_load_explicit(&sl->woke_tick, memory_order_relaxed) == now + 1)
            continue;
        int saved = errno;
        ls_guard++;
        if (ls_spin_trylock(&arm_spin)) {
            int vi = atomic_load(&sl->var);
            if (vi >= 0 && atomic_load(&sl->benched) && !atomic_load(&closed)) {
                atomic_store(&sl->woke_tick, now + 1);
                int32_t q = WOKEN_TOKENS;
                if (atomic_load(&sl->tokens) < q)
                    atomic_store(&sl->tokens, q);
                atomic_store(&sl->streak, 0);
                arm_unlocked(s, vi);
            }
            ls_spin_unlock(&arm_spin);
        }
        ls_guard--;
        errno = saved;
    }
}

/* Which candidates are watched (GIL held): all of them if they fit, else
 * the first turn (the sampler moves them on). */
static void assign(int rotate)
{
    uint32_t n = atomic_load(&ls_pyr_nvars);
    if (n == 0)
        return;
    if (n <= (uint32_t)nslots) {
        for (uint32_t i = 0; i < n; i++)
            if (!atomic_load(&ls_pyr_vars[i].armed))
                for (int s = 0; s < nslots; s++)
                    if (atomic_load(&slots[s].var) < 0) {
                        arm(s, (int)i);
                        break;
                    }
        return;
    }
    if (!rotate)
        return;
    /* rotation order: tier 0 then tier 1 */
    uint32_t order[MAX_VARS], k = 0;
    for (int tier = 0; tier < 2; tier++)
        for (uint32_t i = 0; i < n; i++)
            if (ls_pyr_vars[i].tier == tier)
                order[k++] = i;
    for (int s = 0; s < nslots; s++)
        arm(s, (int)order[(turn_next + (uint32_t)s) % k]);
    turn_next = (turn_next + (uint32_t)nslots) % k;
}

/* atexit's callback: Python's last GIL-held moment before finalizing
 * (3.13 joins its threads without a Python lock call). */
static void *flush(void *self, void *unused)
{
    (void)self, (void)unused;
    void *ts = ls_py_tstate();
    if (ts)
        ls_pyr_gil(ts, 0);
    /* The interpreter tears itself down next: its frames and dicts are
     * freed, and a trap must not read them. */
    ls_spin_lock(&arm_spin);
    if (!atomic_exchange(&closed, 1))
        for (int s = 0; s < nslots; s++)
            point(s, 0);
    ls_spin_unlock(&arm_spin);
    return pyapi.none("");
}

static struct {
    const char *name;
    void *(*meth)(void *, void *);
    int flags;
    const char *doc;
} flush_def = {"lockscope_flush", flush, 0x0004 /* METH_NOARGS */, NULL};

static void register_flush(void)
{
    void *m = pyapi.import("atexit");
    void *reg = m ? pyapi.getattr(m, "register") : NULL;
    void *fn = reg ? pyapi.cfunc(&flush_def, NULL, NULL) : NULL;
    void *r = fn ? pyapi.call(reg, fn, NULL) : NULL;
    if (r)
        pyapi.decref(r);
    else
        pyapi.clear();
    if (fn)
        pyapi.decref(fn);
    if (reg)
        pyapi.decref(reg);
    if (m)
        pyapi.decref(m);
}

void ls_pyr_gil(void *ts, int creating)
{
    if (!atomic_load_explicit(&on, memory_order_relaxed) || atomic_load(&forked) ||
        atomic_load(&closed))
        return;
    if (my_ts != ts)
        my_ts = ts;
    /* Every Python lock call comes here: with no access waiting for its
     * lines, nothing to do but look for a watched dict resized, every 32nd
     * call (the sampler looks too, every tick), and no atomic
     * read-modify-write to bounce between the CPUs the GIL hops across. */
    if (!creating && atomic_load(&ring_head) == atomic_load(&ring_tail) &&
        ((++gil_calls & 31) || !moved()))
        return;
    if (atomic_exchange(&draining, 1))
        return;
    ls_guard++;
    void *et = NULL, *ev = NULL, *etb = NULL;
    int calls = creating || atomic_load(&ring_head) != atomic_load(&ring_tail);
    if (calls)
        pyapi.fetch(&et, &ev, &etb);
    if (creating) {
        uint32_t before = atomic_load(&ls_pyr_nvars);
        ls_pyr_find_vars();
        ls_spin_lock(&arm_spin);
        if (atomic_load(&ls_pyr_nvars) != before)
            assign(before == 0);
        /* A new thread's accesses are fresh: the slots sitting out a long
         * turn come back at the next tick. */
        for (int s = 0; s < nslots; s++) {
            slots[s].shift = 0;
            if (atomic_load(&slots[s].rest) > 0)
                atomic_store(&slots[s].rest, 0);
        }
        ls_spin_unlock(&arm_spin);
        if (!atomic_exchange(&sampler_started, 1)) {
            register_flush();
            pthread_t th;
            ls_shim_thread(&th, 64 * 1024, sampler);
        }
    }
    if (atomic_load(&ring_head) != atomic_load(&ring_tail))
        drain();
    ls_spin_lock(&arm_spin);
    follow();
    ls_spin_unlock(&arm_spin);
    if (calls)
        pyapi.restore(et, ev, etb);
    ls_guard--;
    atomic_store(&draining, 0);
}

/* ---- setup ---------------------------------------------------------------- */

static void *sym(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

static void at_exit(void)
{
    atomic_fetch_add(&cnt.unresolved, atomic_load(&ring_head) - atomic_load(&ring_tail));
    if (atomic_load(&on) && !atomic_load(&forked))
        status(LS_PYWATCH_ON, "");
}

void ls_pyr_init(void)
{
    if (!ls_opt.watch) {
        status(LS_PYWATCH_OFF, "turned off (LOCKSCOPE_OPTIONS=watch=0)");
        return;
    }
    minor = ls_py_minor();
    if (minor == 11 || minor == 12) {
        op_load_global = 116, op_store_global = 97, op_load_name = 101, op_store_name = 90;
        op_del_global = 98, op_del_name = 91, op_ext = 144;
        op_ext2 = minor == 11 ? 34 : 0;
        op_lg_spec[0] = minor == 11 ? 55 : 112;
        op_lg_spec[1] = minor == 11 ? 48 : 111;
        op_lg_spec[2] = minor == 11 ? 47 : 0;
    } else if (minor == 13) {
        op_load_global = 91, op_store_global = 113, op_load_name = 92, op_store_name = 114;
        op_del_global = 66, op_del_name = 67, op_ext = 71, op_ext2 = 0;
        op_lg_spec[0] = 204, op_lg_spec[1] = 203, op_lg_spec[2] = 0;
    } else {
        status(LS_PYWATCH_UNSUPPORTED, "an interpreter whose frames lockscope cannot read");
        return;
    }
    pyapi.modules = sym("PyImport_GetModuleDict");
    pyapi.dict_next = sym("PyDict_Next");
    pyapi.get_str = sym("PyDict_GetItemString");
    pyapi.code_bytes = sym("PyCode_GetCode");
    pyapi.bytes_str = sym("PyBytes_AsString");
    pyapi.bytes_size = sym("PyBytes_Size");
    pyapi.dict_size = sym("PyDict_Size");
    pyapi.getattr = sym("PyObject_GetAttrString");
    pyapi.func_code = sym("PyFunction_GetCode");
    pyapi.module_dict = sym("PyModule_GetDict");
    pyapi.utf8 = sym("PyUnicode_AsUTF8AndSize");
    pyapi.get_item = sym("PyDict_GetItem");
    pyapi.decref = sym("Py_DecRef");
    pyapi.fetch = sym("PyErr_Fetch");
    pyapi.restore = sym("PyErr_Restore");
    pyapi.import = sym("PyImport_ImportModule");
    pyapi.cfunc = sym("PyCFunction_NewEx");
    pyapi.call = sym("PyObject_CallFunctionObjArgs");
    pyapi.none = sym("Py_BuildValue");
    pyapi.clear = sym("PyErr_Clear");
    if (!pyapi.import || !pyapi.cfunc || !pyapi.call || !pyapi.none || !pyapi.clear ||
        !pyapi.modules || !pyapi.dict_next || !pyapi.get_str || !pyapi.code_bytes ||
        !pyapi.bytes_str ||
        !pyapi.bytes_size || !pyapi.dict_size || !pyapi.getattr || !pyapi.func_code ||
        !pyapi.module_dict || !pyapi.utf8 || !pyapi.get_item || !pyapi.decref || !pyapi.fetch ||
        !pyapi.restore) {
        status(LS_PYWATCH_UNSUPPORTED, "an interpreter without the calls lockscope needs");
        return;
    }
    ring = ls_arena_alloc(sizeof(struct pentry) * RING);
    if (!ring) {
        status(LS_PYWATCH_OFF, "no memory for the watchpoints");
        return;
    }
    int err = 0;
    for (int s = 0; s < SLOTS; s++) {
        struct perf_event_attr a;
        ls_watch_fill_attr(&a, (uint64_t)(uintptr_t)&dummy[s], 8, TAG_MAGIC | (uint64_t)s, 1);
        int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            err = errno;
            break;
        }
        slots[nslots].fd = fd;
        atomic_store(&slots[nslots].var, -1);
        atomic_store(&slots[nslots].tokens, CAP);
        atomic_store(&slots[nslots].rest, -1);
        nslots++;
    }
    if (nslots == 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "the kernel refused hardware watchpoints (%s)", strerror(err));
        ls_warn("lockscope: %s; Python data races are not checked, lock checks go on", msg);
        status(LS_PYWATCH_OFF, msg);
        return;
    }
    ls_signals_take_trap(trap);
    atomic_store(&on, 1);
    status(LS_PYWATCH_ON, "");
    atexit(at_exit);
}

int ls_pyr_watching(void)
{
    return atomic_load_explicit(&on, memory_order_relaxed) && !atomic_load(&closed);
}

void ls_pyr_after_fork_child(void)
{
    /* The child's watchpoints are the parent's events: left alone. */
    if (atomic_load(&on))
        atomic_store(&forked, 1);
}
