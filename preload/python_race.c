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
 * Which globals: at Thread.start, the modules in sys.modules whose file is
 * not the standard library's or site-packages' (and __main__), their
 * globals that a function or method of theirs names (STORE_GLOBAL first,
 * then LOAD_GLOBAL), less modules, functions, classes and Python's
 * synchronization objects.  Up to four are watched at a time; with more,
 * they take turns (rotated at GIL-held points, the stored ones first).
 * When a dict grows its entries move: each GIL-held point checks the
 * dict's table and moves the watchpoint.  A slot trapping more than its
 * budget is set aside until the sampler refills it.
 */
#define _GNU_SOURCE
#include "python.h"

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

typedef ssize_t Py_ssize_t;

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif

#define RD(p, off, type) (*(type *)((char *)(p) + (off)))

#define SLOTS 4
#define MAX_VARS 64
#define RING 1024             /* accesses waiting for their Python lines */
#define FRAMES 8              /* Python frames kept per access */
#define HELD 8
#define TAG_MAGIC 0x50590000ull /* "PY" in bits 16-31 of sig_data */
#define TAG_MASK 0xffff0000ull
#define RATE 2000             /* traps a second a slot may take */
#define CAP 1500              /* a slot's bucket */
#define TICK_NS 20000000L     /* the sampler's refill period */
#define TURN_NS 100000000ull  /* a turn, when the candidates take turns */

/* dicts, 3.11 to 3.13 */
#define MA_KEYS 32
#define MA_VALUES 40
#define DK_LOG2_INDEX 9
#define DK_KIND 10
#define DK_NENTRIES 24
#define DK_INDICES 32
#define CO_CONSTS 24
#define CO_NAMES 32
#define TUPLE_ITEMS 24
#define OB_SIZE 16
#define TP_NAME 24
#define TP_FLAGS 168
#define TP_DICT 264
#define TPFLAGS_TYPE (1ul << 31)
#define TPFLAGS_UNICODE (1ul << 28)

struct pvar {
    uint32_t id;
    uint8_t tier;             /* 0: a function stores it; 1: one loads it */
    void *dict, *key;         /* the module's dict, the interned name (borrowed: both live
                                 as long as the module; the key is checked before use) */
    _Atomic(void *) keys;     /* the dict's table when the slot was found */
    _Atomic uint64_t slot;    /* the value slot's address, 0 if not found */
    _Atomic int armed;        /* on a debug register now: its slot index + 1 */
};

struct pslot {
    int fd;
    _Atomic int var;          /* index into vars, -1 none */
    _Atomic int32_t tokens;
    _Atomic int benched;
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

static struct pvar vars[MAX_VARS];
static _Atomic uint32_t nvars;
static struct pslot slots[SLOTS];
static int nslots;
static long dummy[SLOTS];
static struct pentry *ring;
static _Atomic uint32_t ring_head, ring_tail;
static _Atomic int on, forked, sampler_started, draining, closed;
static _Atomic int handoff_unseen; /* see uses_simplequeue */
static struct ls_spin arm_spin; /* moving watchpoints: the sampler, GIL-held points */
static int minor;
static uint32_t turn_next;
static Py_ssize_t modules_seen = -1;
static struct {
    _Atomic uint64_t traps, accesses, limited, unresolved, dropped;
} cnt;

static int op_load_global, op_store_global, op_load_name, op_store_name, op_del_global,
    op_del_name, op_ext, op_ext2, op_lg_spec[3];

static __thread void *my_ts LS_TLS;
/* The thread's last access kept: another one at the same instruction,
 * with the same clock and the same locks held, would tell nothing more
 * (STORE_GLOBAL traps twice: it reads the old value, then writes). */
static __thread struct {
    const void *code;
    int lasti;
    uint32_t var, epoch, version;
    uint64_t held;
} last LS_TLS;

static struct {
    void *(*modules)(void);
    int (*dict_next)(void *, Py_ssize_t *, void **, void **);
    void *(*get_str)(void *, const char *);
    void *(*code_bytes)(void *);
    char *(*bytes_str)(void *);
    Py_ssize_t (*bytes_size)(void *);
    Py_ssize_t (*dict_size)(void *);
    void *(*getattr)(void *, const char *);
    void *(*func_code)(void *);
    void *(*module_dict)(void *);
    const char *(*utf8)(void *, Py_ssize_t *);
    void *(*get_item)(void *, void *);
    void (*decref)(void *);
    void (*fetch)(void **, void **, void **);
    void (*restore)(void *, void *, void *);
    void *(*import)(const char *);
    void *(*cfunc)(void *, void *, void *);
    void *(*call)(void *, ...);
    void *(*none)(const char *, ...);
    void (*clear)(void);
} api;

/* ---- watchpoints --------------------------------------------------------- */

static void fill(struct perf_event_attr *a, uint64_t addr, uint64_t tag)
{
    memset(a, 0, sizeof *a);
    a->type = PERF_TYPE_BREAKPOINT;
    a->size = sizeof *a;
    a->bp_type = HW_BREAKPOINT_RW;
    a->bp_addr = addr;
    a->bp_len = HW_BREAKPOINT_LEN_8;
    a->sample_period = 1;
    a->exclude_kernel = 1;
    a->exclude_hv = 1;
    a->sigtrap = 1;
    a->remove_on_exec = 1;
    a->inherit = 1;
    a->inherit_thread = 1;
    a->sig_data = tag;
}

static void point(int s, uint64_t addr)
{
    struct perf_event_attr a;
    fill(&a, addr ? addr : (uint64_t)(uintptr_t)&dummy[s], TAG_MAGIC | (uint64_t)s);
    ioctl(slots[s].fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a);
}

static void status(uint32_t st, const char *msg)
{
    uint32_t cands = atomic_load(&nvars);
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
        .flags = atomic_load(&handoff_unseen) ? LS_PYWATCH_HANDOFF_UNSEEN : 0,
    };
    for (uint32_t i = 0; i < cands; i++)
        w.vars += atomic_load(&vars[i].slot) != 0;
    ls_writer_record(LS_REC_PYWATCH, &w, sizeof w, msg, w.msg_len, NULL, 0);
}

/* ---- the trap ------------------------------------------------------------ */

/* The access the thread's current instruction makes: the name index and
 * 1 for a write, 0 a read; -1 if it is no global access. */
static int classify(const unsigned char *u, int lasti, int *name)
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
    int k = classify(ls_py_code_units(co), lasti, &name);
    if (k < 0)
        goto done;
    const char *names = RD(co, CO_NAMES, const char *);
    if (!names || name >= RD(names, OB_SIZE, Py_ssize_t))
        goto done;
    void *key = RD(names, TUPLE_ITEMS + 8 * name, void *);
    void *g = ls_py_frame_globals(f);
    if ((k & 0x10) && ls_py_frame_locals(f) != g)
        goto done; /* a class body's or exec's own namespace */
    uint32_t nv = atomic_load(&nvars), vi;
    for (vi = 0; vi < nv; vi++)
        if (vars[vi].key == key && vars[vi].dict == g && atomic_load(&vars[vi].armed))
            break;
    if (vi == nv)
        goto done;
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
                api.decref((void *)e->codes[i]);
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
                .var = vars[e->var].id,
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
static uint64_t slot_of(void *d, void *key, void **keys_out)
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
    if (old >= 0) /* unless another slot took it meanwhile */
        atomic_compare_exchange_strong(&vars[old].armed, &mine, 0);
    uint64_t a = 0;
    if (vi >= 0) {
        void *keys;
        a = slot_of(vars[vi].dict, vars[vi].key, &keys);
        atomic_store(&vars[vi].keys, keys);
        atomic_store(&vars[vi].slot, a);
        atomic_store(&vars[vi].armed, s + 1);
    }
    atomic_store(&slots[s].benched, 0);
    point(s, a);
}

/* The dict of a watched variable was resized (or the name deleted): the
 * watchpoint follows its entry. */
static void follow(void)
{
    for (int s = 0; s < nslots; s++) {
        int vi = atomic_load(&slots[s].var);
        if (vi < 0 || RD(vars[vi].dict, MA_KEYS, void *) == atomic_load(&vars[vi].keys))
            continue;
        arm(s, vi);
    }
}

static int is_system(const char *file, Py_ssize_t n)
{
    (void)n;
    return file[0] == '<' || strstr(file, "/lib/python3") || strstr(file, "/site-packages/") ||
           strstr(file, "/dist-packages/");
}

static const char *utf8(void *o, Py_ssize_t *n)
{
    const char *s = api.utf8(o, n);
    if (!s)
        api.clear();
    return s;
}

static const char *type_name(void *o)
{
    return RD(RD(o, 8, char *), TP_NAME, const char *);
}

static int str_is(void *o)
{
    return o && (RD(RD(o, 8, char *), TP_FLAGS, unsigned long) & TPFLAGS_UNICODE);
}

/* Names code stores (bit 1) and loads (bit 2) as globals, with its nested
 * code; marks[i] for names[i] of the module dict's keys is set by name. */
struct scan {
    void *keys[256];
    uint8_t marks[256];
    int n;
};

static void mark(struct scan *sc, void *name, uint8_t m)
{
    for (int i = 0; i < sc->n; i++)
        if (sc->keys[i] == name)
            sc->marks[i] |= m;
}

/* queue.SimpleQueue hands an item over without any libc call when the
 * getter need not wait: the program's own use of it (a name its code uses,
 * an instance it holds) means Python races may be ordered by hand-offs
 * lockscope cannot see.  (ThreadPoolExecutor's own is covered: its Future
 * is made in submit.) */
static void uses_simplequeue(void *name)
{
    Py_ssize_t n = 0;
    const char *s = str_is(name) ? utf8(name, &n) : NULL;
    if (s && n == 11 && !memcmp(s, "SimpleQueue", 11))
        atomic_store(&handoff_unseen, 1);
}

static void scan_code(struct scan *sc, void *co, int depth)
{
    if (!co || RD(co, 8, void *) != ls_py_code_type() || depth > 8)
        return;
    void *b = api.code_bytes(co);
    if (!b) {
        api.clear();
        return;
    }
    const unsigned char *u = (const unsigned char *)api.bytes_str(b);
    Py_ssize_t len = api.bytes_size(b);
    const char *names = RD(co, CO_NAMES, const char *);
    Py_ssize_t nn = names ? RD(names, OB_SIZE, Py_ssize_t) : 0;
    for (Py_ssize_t i = 0; i < nn; i++)
        uses_simplequeue(RD(names, TUPLE_ITEMS + 8 * i, void *));
    for (Py_ssize_t i = 0; u && i + 1 < len; i += 2) {
        int name, k = classify(u, (int)(i / 2), &name);
        if (k < 0 || (k & 0x10) || name >= nn)
            continue;
        mark(sc, RD(names, TUPLE_ITEMS + 8 * name, void *), (k & 1) ? 1 : 2);
    }
    api.decref(b);
    const char *consts = RD(co, CO_CONSTS, const char *);
    Py_ssize_t nc = consts ? RD(consts, OB_SIZE, Py_ssize_t) : 0;
    for (Py_ssize_t i = 0; i < nc; i++)
        scan_code(sc, RD(consts, TUPLE_ITEMS + 8 * i, void *), depth + 1);
}

static void scan_callable(struct scan *sc, void *v)
{
    const char *tn = type_name(v);
    if (!strcmp(tn, "function")) {
        scan_code(sc, api.func_code(v), 0);
    } else if (!strcmp(tn, "staticmethod") || !strcmp(tn, "classmethod") ||
               !strcmp(tn, "property")) {
        void *fn = api.getattr(v, !strcmp(tn, "property") ? "fget" : "__func__");
        if (!fn)
            api.clear();
        if (fn) {
            if (!strcmp(type_name(fn), "function"))
                scan_code(sc, api.func_code(fn), 0);
            api.decref(fn);
        }
    }
}

/* Values that are not variables: modules, functions, classes, Python's
 * synchronization objects and threads. */
static int not_a_variable(void *v)
{
    if (RD(RD(v, 8, char *), TP_FLAGS, unsigned long) & TPFLAGS_TYPE)
        return 1;
    static const char *const skip[] = {
        "module", "function", "builtin_function_or_method", "method", "staticmethod",
        "classmethod", "property", "_thread.lock", "_thread.RLock", "_thread._local",
        "_queue.SimpleQueue", "Thread", "Timer", "Event", "Condition", "Semaphore",
        "BoundedSemaphore", "Barrier", "Queue", "LifoQueue", "PriorityQueue",
        "ThreadPoolExecutor", "Future", "_MainThread", "_DummyThread", "functools.partial",
        "method-wrapper", "wrapper_descriptor", "getset_descriptor",
    };
    const char *tn = type_name(v);
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (!strcmp(tn, skip[i]))
            return 1;
    return 0;
}

static void add_var(void *d, void *key, int tier, const char *mod, Py_ssize_t mlen)
{
    uint32_t n = atomic_load(&nvars);
    for (uint32_t i = 0; i < n; i++)
        if (vars[i].dict == d && vars[i].key == key)
            return;
    if (n >= MAX_VARS)
        return;
    Py_ssize_t klen = 0;
    const char *ks = utf8(key, &klen);
    if (!ks)
        return;
    struct pvar *v = &vars[n];
    v->id = n + 1;
    v->tier = (uint8_t)tier;
    v->dict = d;
    v->key = key;
    atomic_store(&v->slot, 0);
    atomic_store(&v->armed, 0);
    atomic_store(&nvars, n + 1);
    struct ls_rec_pyvar r = {
        .id = v->id,
        .kind = LS_PYVAR_GLOBAL,
        .slot = 0,
        .module_len = (uint32_t)mlen,
        .name_len = (uint32_t)klen,
    };
    void *keys;
    r.slot = slot_of(d, key, &keys);
    ls_writer_record(LS_REC_PYVAR, &r, sizeof r, mod, (size_t)mlen, ks, (size_t)klen);
}

static void scan_module(void *d, const char *mod, Py_ssize_t mlen)
{
    struct scan *sc = ls_arena_alloc(sizeof *sc);
    if (!sc)
        return;
    Py_ssize_t pos = 0;
    void *k, *v;
    while (sc->n < 256 && api.dict_next(d, &pos, &k, &v)) {
        if (!str_is(k) || !v)
            continue;
        Py_ssize_t kl = 0;
        const char *ks = utf8(k, &kl);
        if (!ks || (kl > 4 && ks[0] == '_' && ks[1] == '_' && ks[kl - 1] == '_'))
            continue;
        sc->keys[sc->n++] = k;
    }
    pos = 0;
    while (api.dict_next(d, &pos, &k, &v)) {
        if (!v)
            continue;
        if (!strcmp(type_name(v), "_queue.SimpleQueue"))
            atomic_store(&handoff_unseen, 1);
        if (str_is(k))
            uses_simplequeue(k);
        if (RD(RD(v, 8, char *), TP_FLAGS, unsigned long) & TPFLAGS_TYPE) {
            /* a class of this module: its methods */
            /* its own dict (tp_dict): the functions defined in its body,
             * read without running any of the class's code */
            void *td = RD(v, TP_DICT, void *);
            void *m = td ? api.get_str(td, "__module__") : NULL;
            Py_ssize_t ml = 0;
            const char *ms = m && str_is(m) ? utf8(m, &ml) : NULL;
            if (!ms || ml != mlen || memcmp(ms, mod, (size_t)ml))
                td = NULL;
            Py_ssize_t p2 = 0;
            void *k2, *v2;
            while (td && api.dict_next(td, &p2, &k2, &v2))
                if (v2)
                    scan_callable(sc, v2);
            continue;
        }
        scan_callable(sc, v);
    }
    for (int tier = 0; tier < 2; tier++)
        for (int i = 0; i < sc->n; i++) {
            if (!(sc->marks[i] & (tier == 0 ? 1 : 2)))
                continue;
            void *val = api.get_item(d, sc->keys[i]);
            if (!val || not_a_variable(val))
                continue;
            add_var(d, sc->keys[i], tier, mod, mlen);
        }
}

/* The program's modules: __main__, and those whose file is not the
 * standard library's or an installed package's. */
static void find_vars(void)
{
    void *mods = api.modules();
    if (!mods)
        return;
    Py_ssize_t size = api.dict_size(mods);
    if (size == modules_seen)
        return;
    modules_seen = size;
    Py_ssize_t pos = 0;
    void *k, *m;
    while (api.dict_next(mods, &pos, &k, &m)) {
        if (!m || !str_is(k) || strcmp(type_name(m), "module"))
            continue;
        Py_ssize_t nl = 0;
        const char *name = utf8(k, &nl);
        void *d = api.module_dict(m);
        if (!name || !d)
            continue;
        if (strcmp(name, "__main__")) {
            void *file = api.get_str(d, "__file__");
            Py_ssize_t fl = 0;
            const char *fs = file && str_is(file) ? utf8(file, &fl) : NULL;
            if (!fs || is_system(fs, fl))
                continue;
        }
        scan_module(d, name, nl);
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
    uint64_t a = vi >= 0 ? resolve_unlocked(&vars[vi], &keys) : 0;
    int old = atomic_exchange(&slots[s].var, a ? vi : -1);
    int mine = s + 1;
    if (old >= 0)
        atomic_compare_exchange_strong(&vars[old].armed, &mine, 0);
    if (a) {
        atomic_store(&vars[vi].keys, keys);
        atomic_store(&vars[vi].slot, a);
        atomic_store(&vars[vi].armed, s + 1);
    }
    atomic_store(&slots[s].benched, 0);
    point(s, a);
}

/* The dict of a watched variable grew (3.13 joins threads without a
 * Python lock call, so a GIL-held point may be far off). */
static void follow_unlocked(int s, int vi)
{
    char *keys;
    if (safe_read((char *)vars[vi].dict + MA_KEYS, &keys, sizeof keys) != 0 ||
        keys == atomic_load(&vars[vi].keys))
        return;
    arm_unlocked(s, vi);
}

/* The next turn, with more candidates than slots: those a function stores
 * first. */
static void rotate_unlocked(void)
{
    uint32_t n = atomic_load(&nvars);
    if (n <= (uint32_t)nslots)
        return;
    uint32_t order[MAX_VARS], k = 0;
    for (int tier = 0; tier < 2; tier++)
        for (uint32_t i = 0; i < n; i++)
            if (vars[i].tier == tier)
                order[k++] = i;
    for (int s = 0; s < nslots; s++)
        arm_unlocked(s, (int)order[(turn_next + (uint32_t)s) % k]);
    turn_next = (turn_next + (uint32_t)nslots) % k;
}

static void *sampler(void *arg)
{
    ls_guard = 1;
    struct timespec tick = {0, TICK_NS};
    for (uint64_t ticks = 1;; ticks++) {
        nanosleep(&tick, NULL);
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
            int32_t cur = atomic_load(&slots[s].tokens);
            int32_t next = (cur < 0 ? 0 : cur) + (int32_t)(RATE * (TICK_NS / 1000000) / 1000);
            atomic_store(&slots[s].tokens, next > CAP ? CAP : next);
            int vi = atomic_load(&slots[s].var);
            /* Back on its slot (found again: the dict may have grown). */
            if (vi >= 0 && atomic_load(&slots[s].benched))
                arm_unlocked(s, vi);
            else if (vi >= 0)
                follow_unlocked(s, vi);
        }
        ls_spin_unlock(&arm_spin);
    }
    return arg;
}

/* Which candidates are watched (GIL held): all of them if they fit, else
 * the first turn (the sampler moves them on). */
static void assign(int rotate)
{
    uint32_t n = atomic_load(&nvars);
    if (n == 0)
        return;
    if (n <= (uint32_t)nslots) {
        for (uint32_t i = 0; i < n; i++)
            if (!atomic_load(&vars[i].armed))
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
            if (vars[i].tier == tier)
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
    return api.none("");
}

static struct {
    const char *name;
    void *(*meth)(void *, void *);
    int flags;
    const char *doc;
} flush_def = {"lockscope_flush", flush, 0x0004 /* METH_NOARGS */, NULL};

static void register_flush(void)
{
    void *m = api.import("atexit");
    void *reg = m ? api.getattr(m, "register") : NULL;
    void *fn = reg ? api.cfunc(&flush_def, NULL, NULL) : NULL;
    void *r = fn ? api.call(reg, fn, NULL) : NULL;
    if (r)
        api.decref(r);
    else
        api.clear();
    if (fn)
        api.decref(fn);
    if (reg)
        api.decref(reg);
    if (m)
        api.decref(m);
}

void ls_pyr_gil(void *ts, int creating)
{
    if (!atomic_load_explicit(&on, memory_order_relaxed) || atomic_load(&forked) ||
        atomic_load(&closed))
        return;
    my_ts = ts;
    if (atomic_exchange(&draining, 1))
        return;
    ls_guard++;
    void *et = NULL, *ev = NULL, *etb = NULL;
    int calls = creating || atomic_load(&ring_head) != atomic_load(&ring_tail);
    if (calls)
        api.fetch(&et, &ev, &etb);
    if (creating) {
        uint32_t before = atomic_load(&nvars);
        find_vars();
        if (atomic_load(&nvars) != before) {
            ls_spin_lock(&arm_spin);
            assign(before == 0);
            ls_spin_unlock(&arm_spin);
        }
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
        api.restore(et, ev, etb);
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
    api.modules = sym("PyImport_GetModuleDict");
    api.dict_next = sym("PyDict_Next");
    api.get_str = sym("PyDict_GetItemString");
    api.code_bytes = sym("PyCode_GetCode");
    api.bytes_str = sym("PyBytes_AsString");
    api.bytes_size = sym("PyBytes_Size");
    api.dict_size = sym("PyDict_Size");
    api.getattr = sym("PyObject_GetAttrString");
    api.func_code = sym("PyFunction_GetCode");
    api.module_dict = sym("PyModule_GetDict");
    api.utf8 = sym("PyUnicode_AsUTF8AndSize");
    api.get_item = sym("PyDict_GetItem");
    api.decref = sym("Py_DecRef");
    api.fetch = sym("PyErr_Fetch");
    api.restore = sym("PyErr_Restore");
    api.import = sym("PyImport_ImportModule");
    api.cfunc = sym("PyCFunction_NewEx");
    api.call = sym("PyObject_CallFunctionObjArgs");
    api.none = sym("Py_BuildValue");
    api.clear = sym("PyErr_Clear");
    if (!api.import || !api.cfunc || !api.call || !api.none || !api.clear ||
        !api.modules || !api.dict_next || !api.get_str || !api.code_bytes || !api.bytes_str ||
        !api.bytes_size || !api.dict_size || !api.getattr || !api.func_code ||
        !api.module_dict || !api.utf8 || !api.get_item || !api.decref || !api.fetch ||
        !api.restore) {
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
        fill(&a, (uint64_t)(uintptr_t)&dummy[s], TAG_MAGIC | (uint64_t)s);
        int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            err = errno;
            break;
        }
        slots[nslots].fd = fd;
        atomic_store(&slots[nslots].var, -1);
        atomic_store(&slots[nslots].tokens, CAP);
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
