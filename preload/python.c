/*
 * CPython: Python's own locks, Python stacks and names.
 *
 * CPython 3.11 to 3.13.0 build threading.Lock and RLock on semaphores
 * initialised to 1: an acquire is a sem_trywait made with the GIL held,
 * then (if that failed) a blocking sem_wait or sem_clockwait with the GIL
 * released; a release is a sem_post with the GIL held.  The GIL itself is a
 * mutex and condvars inside the exported object _PyRuntime: those are
 * passed through untouched (wrap_mutex.c, wrap_cond.c).
 *
 * A semaphore initialised to 1 while a Python frame runs is classified at
 * once, from that frame: made in threading's Condition.wait, a waiter (a
 * signal); in Thread._set_tstate_lock, the thread's sentinel (waiting on it
 * is a join); in importlib's frozen code, the interpreter's; else a lock.  A
 * lock posted by a thread that does not hold it becomes a signal (its edges
 * are void: LS_REC_PYLOCK).
 *
 * The interpreter is called only with the GIL held by the calling thread,
 * after Py_IsInitialized(), in the main interpreter, never while it
 * finalizes, never from sem_post (which may run in a signal handler), with
 * the error indicator saved and restored around.  What is read per call is
 * read raw from the thread state (per-version offsets below): the top
 * frame's code and instruction are the site key, and the whole Python stack
 * is taken and symbolized only when a thread meets a site for the first
 * time.  The semaphore calls themselves are in python_sem.c.
 */
#define _GNU_SOURCE
#include "python.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

uintptr_t ls_py_rt_lo;
size_t ls_py_rt_size;
int ls_py_on;
__thread uint32_t ls_site_stack LS_TLS;

/* ---- the interpreter's layout ------------------------------------------ */

struct layout {
    int minor;
    int ts_cframe, cframe_frame, ts_frame; /* tstate -> (cframe ->) current frame */
    int f_code, f_instr, f_prev, f_owner, f_globals, f_locals;
    int co_argcount, co_filename, co_qualname, co_firsttraceable, co_code;
    int owner_cstack;                      /* frames of C calls (3.12+), -1: none */
};

/* Measured with offsetof against each version's internal headers. */
static const struct layout layouts[] = {
    {11, 56, 8, -1, 32, 56, 48, 69, 8, 72, 56, 112, 128, 168, 184, -1},
    {12, 56, 0, -1, 0, 56, 8, 70, 24, 72, 52, 112, 128, 176, 192, 3},
    {13, -1, 0, 72, 0, 56, 8, 70, 24, 72, 52, 112, 128, 184, 200, 3},
};
#define OWNED_BY_GENERATOR 1
#define TP_NAME 24
#define TP_FLAGS 168
#define TPFLAGS_HEAPTYPE (1ul << 9)
#define TPFLAGS_UNICODE_SUBCLASS (1ul << 28)
#define LOCK_SEM 16 /* lockobject / rlockobject: the PyThread lock after the header */

static const struct layout *L;
static uint32_t py_version;

static struct {
    int (*is_initialized)(void);
    void *(*unchecked)(void);
    void *(*this_thread)(void);
    void *(*interp_main)(void);
    void *(*interp_of)(void *);
    int (*finalizing)(void);
    int (*addr2line)(void *, int);
    const char *(*utf8)(void *, ssize_t *);
    void (*fetch)(void **, void **, void **);
    void (*restore)(void *, void *, void *);
    int (*dict_next)(void *, ssize_t *, void **, void **);
    void *(*generic_dict)(void *, void *);
    void *(*dict_get)(void *, const char *);
    void (*decref)(void *);
    void *code_type;
} api;

static void *sym(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

static void write_python_record(void)
{
    struct ls_rec_python r = {
        .version = py_version,
        .flags = ls_py_on ? LS_PY_LOCKS : LS_PY_LOCKS_UNSEEN,
    };
    ls_writer_record(LS_REC_PYTHON, &r, sizeof r, NULL, 0, NULL, 0);
}

static void unseen(const char *why)
{
    char msg[256];
    snprintf(msg, sizeof msg, "CPython %s: Python locks, deadlocks, lock order and data races are not checked",
             why);
    ls_warn("lockscope: %s", msg);
    ls_writer_note(LS_NOTE_PY_UNSEEN, msg);
}

/* Whether some loaded object may define name, from the objects' GNU hash
 * tables (their Bloom filters answer no in a few instructions): dlsym's
 * "no" costs some 20 us the first time (it makes an error message, and
 * with it malloc's first arena), in every process that is not CPython.  1
 * when unsure (an object without the table): dlsym answers then. */
struct maybe_ctx {
    const char *name;
    uint32_t hash;
    int maybe;
};

static int maybe_in(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct maybe_ctx *c = arg;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return 0; /* no dynamic symbols to find */
    uintptr_t gnu = 0, symtab = 0, strtab = 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_GNU_HASH)
            gnu = dyn->d_un.d_ptr;
        else if (dyn->d_tag == DT_SYMTAB)
            symtab = dyn->d_un.d_ptr;
        else if (dyn->d_tag == DT_STRTAB)
            strtab = dyn->d_un.d_ptr;
    }
    /* glibc relocates these in place; the vDSO's (read-only) are not. */
    if (gnu && gnu < info->dlpi_addr)
        gnu += info->dlpi_addr;
    if (symtab && symtab < info->dlpi_addr)
        symtab += info->dlpi_addr;
    if (strtab && strtab < info->dlpi_addr)
        strtab += info->dlpi_addr;
    if (!gnu || !symtab || !strtab) {
        c->maybe = 1;
        return 1;
    }
    const uint32_t *h = (const uint32_t *)gnu;
    uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2], shift = h[3];
    if (!nbuckets)
        return 0; /* no symbols */
    if (!bloom_size) {
        c->maybe = 1;
        return 1;
    }
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(h + 4);
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    ElfW(Addr) word = bloom[(c->hash / bits) % bloom_size];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (c->hash % bits)) |
                      ((ElfW(Addr))1 << ((c->hash >> shift) % bits));
    if ((word & mask) != mask)
        return 0;
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t i = buckets[c->hash % nbuckets];
    if (i < symoffset)
        return 0;
    const ElfW(Sym) *syms = (const ElfW(Sym) *)symtab;
    for (;; i++) {
        uint32_t ch = chain[i - symoffset];
        if ((ch | 1) == (c->hash | 1) && syms[i].st_shndx != SHN_UNDEF &&
            strcmp((const char *)strtab + syms[i].st_name, c->name) == 0) {
            c->maybe = 1;
            return 1;
        }
        if (ch & 1)
            return 0;
    }
}

static int maybe_defined(const char *name)
{
    struct maybe_ctx c = {.name = name, .hash = 5381, .maybe = 0};
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        c.hash = c.hash * 33 + *p;
    dl_iterate_phdr(maybe_in, &c);
    return c.maybe;
}

void ls_py_init(void)
{
    if (!maybe_defined("_PyRuntime"))
        return;
    void *rt = sym("_PyRuntime");
    if (!rt)
        return;
    Dl_info info;
    const ElfW(Sym) *es = NULL;
    if (dladdr1(rt, &info, (void **)&es, RTLD_DL_SYMENT) && es && es->st_size) {
        ls_py_rt_lo = (uintptr_t)rt;
        ls_py_rt_size = es->st_size;
    }
    const uint32_t *ver = sym("Py_Version");
    if (!ver) {
        write_python_record();
        unseen("older than 3.11");
        return;
    }
    py_version = *ver;
    int major = (int)(py_version >> 24), minor = (int)((py_version >> 16) & 0xff);
    int micro = (int)((py_version >> 8) & 0xff);
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (major == 3 && layouts[i].minor == minor)
            L = &layouts[i];
    api.is_initialized = sym("Py_IsInitialized");
    api.unchecked = sym(minor >= 13 ? "PyThreadState_GetUnchecked" : "_PyThreadState_UncheckedGet");
    api.this_thread = sym("PyGILState_GetThisThreadState");
    api.interp_main = sym("PyInterpreterState_Main");
    api.interp_of = sym("PyThreadState_GetInterpreter");
    api.finalizing = sym(minor >= 13 ? "Py_IsFinalizing" : "_Py_IsFinalizing");
    api.addr2line = sym("PyCode_Addr2Line");
    api.utf8 = sym("PyUnicode_AsUTF8AndSize");
    api.fetch = sym("PyErr_Fetch");
    api.restore = sym("PyErr_Restore");
    api.dict_next = sym("PyDict_Next");
    api.generic_dict = sym("PyObject_GenericGetDict");
    api.dict_get = sym("PyDict_GetItemString");
    api.decref = sym("Py_DecRef");
    api.code_type = sym("PyCode_Type");
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", major, minor, micro);
    if (major == 3 && (minor > 13 || (minor == 13 && micro >= 1))) {
        write_python_record();
        char why[128];
        snprintf(why, sizeof why, "%s (its threading.Lock does not go through libc)", v);
        unseen(why);
        return;
    }
    if (!L || !api.is_initialized || !api.unchecked || !api.this_thread || !api.interp_main ||
        !api.interp_of || !api.addr2line || !api.utf8 || !api.fetch || !api.restore ||
        !api.dict_next || !api.generic_dict || !api.dict_get || !api.decref || !api.code_type) {
        write_python_record();
        char why[128];
        snprintf(why, sizeof why, "%s (an interpreter lockscope does not know)", v);
        unseen(why);
        return;
    }
    ls_py_on = 1;
    write_python_record();
    ls_pyr_init();
}

/* ---- the GIL, frames -------------------------------------------------- */

#define RD(p, off, type) (*(type *)((char *)(p) + (off)))

/* The calling thread's thread state if it holds the GIL in the main
 * interpreter of an initialized, running interpreter; else NULL. */
#define TS_INTERP 16 /* PyThreadState: prev, next, interp */
#define TS311_THREAD_ID 152 /* PyThreadState.thread_id, 3.11 */

void *ls_py_tstate(void)
{
    /* Once initialized, the main interpreter stays: read it once. */
    static void *main_interp;
    if (!ls_py_on)
        return NULL;
    if (unlikely(!main_interp)) {
        if (!api.is_initialized())
            return NULL;
        main_interp = api.interp_main();
        if (!main_interp)
            return NULL;
    }
    void *ts = api.unchecked();
    if (!ts)
        return NULL;
    if (RD(ts, TS_INTERP, void *) != main_interp) {
        static _Atomic int noted;
        if (!atomic_exchange(&noted, 1))
            ls_writer_note(LS_NOTE_PY_SUBINTERP, "a subinterpreter ran: Python locks are not "
                                                 "checked in it");
        return NULL;
    }
    /* 3.11: the unchecked state is the GIL holder's, whichever thread that
     * is; 3.12+: this thread's, NULL while it is detached.  The holder's
     * thread_id (set by its own thread before it first takes the GIL) says
     * whose it is without a call: once checked against this_thread(). */
    if (L->minor == 11) {
        static int by_id; /* 1: thread_id is where it should be; -1: it is not */
        if (likely(by_id > 0)) {
            if (RD(ts, TS311_THREAD_ID, unsigned long) != (unsigned long)pthread_self())
                return NULL;
        } else {
            if (ts != api.this_thread())
                return NULL;
            if (!by_id)
                by_id = RD(ts, TS311_THREAD_ID, unsigned long) == (unsigned long)pthread_self()
                            ? 1
                            : -1;
        }
    }
    if (api.finalizing && api.finalizing())
        return NULL;
    return ts;
}

/* A frame that has started running Python code, with its code object and
 * the index of its current instruction; 0 for the interpreter's own. */
static inline __attribute__((always_inline)) int frame_code(const char *f, const char **code,
                                                       int *lasti)
{
    unsigned char owner = RD(f, L->f_owner, unsigned char);
    if (L->owner_cstack >= 0 && owner == (unsigned)L->owner_cstack)
        return 0;
    const char *co = RD(f, L->f_code, const char *);
    if (!co || RD(co, 8, void *) != api.code_type)
        return 0;
    const char *instr = RD(f, L->f_instr, const char *);
    const char *base = co + L->co_code;
    if (owner != OWNED_BY_GENERATOR && instr < base + 2 * RD(co, L->co_firsttraceable, int))
        return 0;
    *code = co;
    *lasti = (int)((instr - base) / 2);
    return 1;
}

static const char *frame_next(const char *f)
{
    return RD(f, L->f_prev, const char *);
}

static const char *top_frame(void *ts)
{
    if (L->ts_cframe >= 0) {
        const char *cf = RD(ts, L->ts_cframe, const char *);
        return cf ? RD(cf, L->cframe_frame, const char *) : NULL;
    }
    return RD(ts, L->ts_frame, const char *);
}

/* The innermost frame running Python code. */
static const char *user_frame(void *ts, const char **code, int *lasti)
{
    for (const char *f = top_frame(ts); f; f = frame_next(f))
        if (frame_code(f, code, lasti))
            return f;
    return NULL;
}

int ls_py_minor(void)
{
    return L ? L->minor : 0;
}

const char *ls_py_top_frame(void *ts)
{
    return top_frame(ts);
}

const char *ls_py_frame_next(const char *f)
{
    return frame_next(f);
}

int ls_py_frame_code(const char *f, const char **code, int *lasti)
{
    return frame_code(f, code, lasti);
}

void *ls_py_frame_globals(const char *f)
{
    return RD(f, L->f_globals, void *);
}

/* f_locals follows f_globals and f_builtins in 3.11 to 3.13 */
void *ls_py_frame_locals(const char *f)
{
    return RD(f, L->f_globals + 16, void *);
}

const unsigned char *ls_py_code_units(const char *code)
{
    return (const unsigned char *)code + L->co_code;
}

int ls_py_finalizing(void)
{
    return api.finalizing && api.finalizing();
}

void *ls_py_code_type(void)
{
    return api.code_type;
}

static const char *str_utf8(void *s, ssize_t *len)
{
    if (!s || !(RD(RD(s, 8, char *), TP_FLAGS, unsigned long) & TPFLAGS_UNICODE_SUBCLASS))
        return NULL;
    return api.utf8(s, len);
}

/* ---- code objects and stacks ------------------------------------------ */

#define uthash_malloc(sz) ls_arena_alloc(sz)
#define uthash_free(ptr, sz) ((void)(ptr), (void)(sz))
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

/* What a function's name says about the semaphores made in it. */

struct code_key {
    const void *code, *file, *name;
};

struct code_entry {
    UT_hash_handle hh;
    struct code_key key;
    uint32_t id;
    uint32_t role;
    uint32_t boot;            /* Thread._bootstrap_inner: its self is the thread */
};

struct stack_entry {
    UT_hash_handle hh;
    uint32_t id;
    uint32_t n;
    struct ls_rec_pyframe f[];
};

static struct code_entry *codes;
static struct stack_entry *stacks;
static struct ls_spin tables_spin;
static uint32_t next_code = 1;

static int ends_with(const char *s, size_t n, const char *tail)
{
    size_t k = strlen(tail);
    return n >= k && memcmp(s + n - k, tail, k) == 0;
}

static uint32_t role_of(const char *file, size_t flen, const char *name, size_t nlen)
{
    if (flen >= 8 && memcmp(file, "<frozen ", 8) == 0)
        return ROLE_INTERNAL;
    if (ends_with(file, flen, "threading.py")) {
        if (nlen == 14 && memcmp(name, "Condition.wait", 14) == 0)
            return ROLE_WAITER;
        if (ends_with(name, nlen, "._set_tstate_lock"))
            return ROLE_SENTINEL;
    }
    return ROLE_LOCK;
}

/* The code object's entry, its record written the first time.  The GIL is
 * held; no lock of ours is held while the interpreter is called. */
static struct code_entry *code_entry(const char *co)
{
    struct code_key k = {co, RD(co, L->co_filename, void *), RD(co, L->co_qualname, void *)};
    struct code_entry *e;
    ls_spin_lock(&tables_spin);
    HASH_FIND(hh, codes, &k, sizeof k, e);
    ls_spin_unlock(&tables_spin);
    if (e)
        return e;
    ssize_t flen = 0, nlen = 0;
    const char *file = str_utf8((void *)k.file, &flen);
    const char *name = str_utf8((void *)k.name, &nlen);
    if (!file)
        file = "", flen = 0;
    if (!name)
        name = "", nlen = 0;
    e = ls_arena_alloc(sizeof *e);
    if (!e)
        return NULL;
    e->key = k;
    e->role = role_of(file, (size_t)flen, name, (size_t)nlen);
    e->boot = ends_with(file, (size_t)flen, "threading.py") &&
              ends_with(name, (size_t)nlen, "Thread._bootstrap_inner");
    ls_spin_lock(&tables_spin);
    struct code_entry *other;
    HASH_FIND(hh, codes, &k, sizeof k, other);
    if (other) {
        ls_spin_unlock(&tables_spin);
        return other;
    }
    e->id = next_code++;
    HASH_ADD(hh, codes, key, sizeof k, e);
    ls_spin_unlock(&tables_spin);
    struct ls_rec_pycode r = {
        .id = e->id,
        .first_line = 0,
        .file_len = (uint32_t)flen,
        .name_len = (uint32_t)nlen,
    };
    ls_writer_record(LS_REC_PYCODE, &r, sizeof r, file, (size_t)flen, name, (size_t)nlen);
    return e;
}

#define PY_MAX_FRAMES 32

/* A Python stack's frames, as interned (the hash key: n, then the frames). */
struct pykey {
    uint32_t n;
    struct ls_rec_pyframe f[PY_MAX_FRAMES];
};

/* The stack id of key's Python frames (LS_REC_PYSTACK written the first
 * time), with the calling thread's native frames when native is set, else
 * none; 0 without frames or memory. */
static uint32_t intern_pystack(const struct pykey *key, int native)
{
    if (key->n == 0)
        return 0;
    size_t klen = sizeof key->n + key->n * sizeof key->f[0];
    struct stack_entry *s;
    ls_spin_lock(&tables_spin);
    HASH_FIND(hh, stacks, key, klen, s);
    ls_spin_unlock(&tables_spin);
    if (s)
        return s->id;
    s = ls_arena_alloc(sizeof *s + key->n * sizeof key->f[0]);
    if (!s)
        return 0;
    s->n = key->n;
    memcpy(s->f, key->f, key->n * sizeof key->f[0]);
    uint64_t ips[LS_TRACE_MAX_FRAMES];
    int nips = native ? ls_backtrace(ips, ls_opt.stack_depth) : 0;
    ls_spin_lock(&tables_spin);
    struct stack_entry *other;
    HASH_FIND(hh, stacks, key, klen, other);
    if (other) {
        ls_spin_unlock(&tables_spin);
        return other->id;
    }
    /* the key is n then the frames: the entry's own copy, laid out alike */
    s->id = ls_stack_fresh(nips ? ips : NULL, nips);
    HASH_ADD_KEYPTR(hh, stacks, &s->n, klen, s);
    ls_spin_unlock(&tables_spin);
    struct ls_rec_pystack r = {.stack = s->id, .nframes = s->n};
    ls_writer_record(LS_REC_PYSTACK, &r, sizeof r, s->f, s->n * sizeof s->f[0], NULL, 0);
    return s->id;
}

/* The calling thread's Python stack, interned: a stack id whose native
 * frames are these and whose Python frames are in LS_REC_PYSTACK. */
static uint32_t capture(void *ts, uint32_t *role)
{
    struct pykey key;
    memset(&key, 0, sizeof key);
    int depth = ls_opt.stack_depth < PY_MAX_FRAMES ? ls_opt.stack_depth : PY_MAX_FRAMES;
    for (const char *f = top_frame(ts); f && (int)key.n < depth; f = frame_next(f)) {
        const char *co;
        int lasti;
        if (!frame_code(f, &co, &lasti))
            continue;
        struct code_entry *e = code_entry(co);
        if (!e)
            return 0;
        if (key.n == 0 && role)
            *role = e->role;
        key.f[key.n].code = e->id;
        key.f[key.n].line = api.addr2line((void *)co, lasti * 2);
        key.n++;
    }
    return intern_pystack(&key, 1);
}

/* The stack of frames read raw earlier (a trap's): interned like
 * capture's.  A code object no longer alive is left out. */
uint32_t ls_py_stack_of(const void *const *cos, const int *lastis, int n)
{
    struct pykey key;
    memset(&key, 0, sizeof key);
    for (int i = 0; i < n && key.n < PY_MAX_FRAMES; i++) {
        const char *co = cos[i];
        if (!co || RD(co, 8, void *) != api.code_type)
            continue;
        struct code_entry *e = code_entry(co);
        if (!e)
            return 0;
        key.f[key.n].code = e->id;
        key.f[key.n].line = api.addr2line((void *)co, lastis[i] * 2);
        key.n++;
    }
    return intern_pystack(&key, 0);
}

/* Per thread: the stack of each site met (top frame's code and
 * instruction), direct-mapped. */
#define SITES 256
static __thread struct site {
    const void *code, *caller;
    int lasti, caller_lasti;
    uint32_t gen;
    uint32_t stack;
    uint32_t role;
} sites[SITES] LS_TLS;

struct saved_error {
    void *type, *value, *tb;
};

/* The Python stack of the calling thread (GIL held: ts), and the role its
 * top function gives the semaphores it makes.  A site is the top frame's
 * code and instruction, and its caller's: the top frame alone is often the
 * same library function (Thread.start, Condition.__enter__) called from
 * many places. */
uint32_t ls_py_site(void *ts, uint32_t *role)
{
    const char *co, *cc = NULL;
    int lasti, clasti = 0;
    const char *f = user_frame(ts, &co, &lasti);
    if (!f)
        return 0;
    for (f = frame_next(f); f; f = frame_next(f))
        if (frame_code(f, &cc, &clasti))
            break;
    if (!f)
        cc = NULL, clasti = 0;
    unsigned k = (unsigned)(((uintptr_t)co >> 4) ^ ((uintptr_t)co >> 12) ^ (unsigned)lasti * 31u ^
                            ((uintptr_t)cc >> 6) ^ (unsigned)clasti * 131u) &
                 (SITES - 1);
    struct site *s = &sites[k];
    if (likely(s->code == co && s->lasti == lasti && s->caller == cc &&
               s->caller_lasti == clasti && s->gen == ls_file_gen)) {
        if (role)
            *role = s->role;
        return s->stack;
    }
    struct saved_error err;
    api.fetch(&err.type, &err.value, &err.tb);
    uint32_t r = ROLE_LOCK;
    uint32_t id = capture(ts, &r);
    api.restore(err.type, err.value, err.tb);
    if (id) {
        s->code = co;
        s->lasti = lasti;
        s->caller = cc;
        s->caller_lasti = clasti;
        s->gen = ls_file_gen;
        s->stack = id;
        s->role = r;
    }
    if (role)
        *role = r;
    return id;
}

/* From pthread_create (Thread.start, the GIL held). */
uint32_t ls_py_here(void)
{
    void *ts = ls_py_tstate();
    if (!ts)
        return 0;
    ls_pyr_gil(ts, 1);
    return ls_py_site(ts, NULL);
}

/* ---- names ------------------------------------------------------------- */

static uint32_t lock_type(void *v, const void *sem)
{
    const char *tp = RD(v, 8, const char *);
    const char *name = RD(tp, TP_NAME, const char *);
    if (!name || RD(v, LOCK_SEM, const void *) != sem)
        return 0;
    if (strcmp(name, "_thread.lock") == 0)
        return LS_LOCK_PY;
    if (strcmp(name, "_thread.RLock") == 0)
        return LS_LOCK_PY_RLOCK;
    return 0;
}

/* The key of dict d whose value is the lock object of sem. */
static int dict_find(void *d, const void *sem, const char *prefix, char *out, size_t n,
                     uint32_t *kind)
{
    ssize_t pos = 0;
    void *k, *v;
    while (api.dict_next(d, &pos, &k, &v)) {
        uint32_t t = v ? lock_type(v, sem) : 0;
        if (!t)
            continue;
        ssize_t len = 0;
        const char *s = str_utf8(k, &len);
        if (!s)
            continue;
        snprintf(out, n, "%s%.*s", prefix, (int)len, s);
        *kind = t;
        return 1;
    }
    return 0;
}

/* What the lock of sem is bound to, seen from the few innermost frames:
 * a global of the function's module, or an attribute of its first argument
 * (self.lock). */
static int lock_name(void *ts, const void *sem, char *out, size_t n, uint32_t *kind)
{
    int depth = 0;
    for (const char *f = top_frame(ts); f && depth < 3; f = frame_next(f)) {
        const char *co;
        int lasti;
        if (!frame_code(f, &co, &lasti))
            continue;
        depth++;
        void *g = RD(f, L->f_globals, void *);
        if (g && dict_find(g, sem, "", out, n, kind))
            return 1;
        void *self = RD(co, L->co_argcount, int) >= 1 ? RD(f, L->f_locals, void *) : NULL;
        if (self && (RD(RD(self, 8, char *), TP_FLAGS, unsigned long) & TPFLAGS_HEAPTYPE)) {
            void *d = api.generic_dict(self, NULL);
            int found = d && dict_find(d, sem, "self.", out, n, kind);
            if (d)
                api.decref(d);
            if (found)
                return 1;
        }
    }
    return 0;
}

void ls_py_write_pylock(struct ls_lock *lk, uint32_t role, const char *name)
{
    uint32_t id = atomic_load(&lk->id);
    if (!id)
        return;
    ls_lock_ensure_written(lk);
    struct ls_rec_pylock r = {.lock = id, .role = role, .name_len = name ? (uint32_t)strlen(name) : 0};
    ls_writer_record(LS_REC_PYLOCK, &r, sizeof r, name, r.name_len, NULL, 0);
}

/* At a lock's first acquisition in this file (the GIL held). */
void ls_py_name_lock(void *ts, struct ls_lock *lk, const void *sem)
{
    if (atomic_exchange(&lk->py_named, (uint16_t)ls_file_gen) == (uint16_t)ls_file_gen)
        return;
    char name[256];
    uint32_t kind = 0;
    struct saved_error err;
    api.fetch(&err.type, &err.value, &err.tb);
    int found = lock_name(ts, sem, name, sizeof name, &kind);
    api.restore(err.type, err.value, err.tb);
    if (found && kind)
        lk->kind = kind;
    (void)ls_lock_id(lk);
    ls_py_write_pylock(lk, LS_PYLOCK_LOCK, found ? name : NULL);
}

static void write_thread_name(struct ls_thread *t, const char *s, size_t len)
{
    if (len > 255)
        len = 255;
    struct ls_rec_thread_name rec = {.tid = t->tid, .name_len = (uint32_t)len};
    ls_writer_record(LS_REC_THREAD_NAME, &rec, sizeof rec, s, len, NULL, 0);
}

/* A thread's Python name, from the Thread object (self) of the
 * Thread._bootstrap_inner that runs it; the first thread is MainThread. */
void ls_py_name_thread(void *ts, struct ls_thread *t)
{
    if (t->tid == 1) {
        write_thread_name(t, "MainThread", 10);
        return;
    }
    const char *f, *co = NULL;
    int lasti, depth = 0;
    struct saved_error err;
    api.fetch(&err.type, &err.value, &err.tb);
    for (f = top_frame(ts); f && depth < 64; f = frame_next(f), depth++) {
        if (!frame_code(f, &co, &lasti))
            continue;
        struct code_entry *e = code_entry(co);
        if (e && e->boot)
            break;
    }
    void *self = f && depth < 64 && RD(co, L->co_argcount, int) >= 1 ? RD(f, L->f_locals, void *)
                                                                      : NULL;
    void *d = self ? api.generic_dict(self, NULL) : NULL;
    if (d) {
        void *v = api.dict_get(d, "_name");
        ssize_t len = 0;
        const char *s = v ? str_utf8(v, &len) : NULL;
        if (s)
            write_thread_name(t, s, (size_t)len);
        api.decref(d);
    }
    api.restore(err.type, err.value, err.tb);
}

void ls_py_after_fork_child(void)
{
    tables_spin.v = 0;
    codes = NULL;
    stacks = NULL;
    next_code = 1;
    if (ls_py_rt_lo)
        write_python_record();
    ls_pyr_after_fork_child();
}
