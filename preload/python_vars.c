/*
 * CPython: which Python globals python_race.c watches.
 *
 * At Thread.start (the GIL held): the modules in sys.modules whose file is
 * not the standard library's or an installed package's (and __main__);
 * their globals that a function or method of theirs names (STORE_GLOBAL
 * first, then LOAD_GLOBAL, nested code too), less modules, functions,
 * classes and Python's synchronization objects and threads.  Nothing of the
 * program's own code is run: functions' code is read with PyCode_GetCode,
 * classes' bodies through their own dict.
 */
#define _GNU_SOURCE
#include "python_race.h"

#include <string.h>

static Py_ssize_t modules_seen = -1;

static int is_system(const char *file, Py_ssize_t n)
{
    (void)n;
    return file[0] == '<' || strstr(file, "/lib/python3") || strstr(file, "/site-packages/") ||
           strstr(file, "/dist-packages/");
}

static const char *utf8(void *o, Py_ssize_t *n)
{
    const char *s = pyapi.utf8(o, n);
    if (!s)
        pyapi.clear();
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
        atomic_store(&ls_pyr_handoff_unseen, 1);
}

static void scan_code(struct scan *sc, void *co, int depth)
{
    if (!co || RD(co, 8, void *) != ls_py_code_type() || depth > 8)
        return;
    void *b = pyapi.code_bytes(co);
    if (!b) {
        pyapi.clear();
        return;
    }
    const unsigned char *u = (const unsigned char *)pyapi.bytes_str(b);
    Py_ssize_t len = pyapi.bytes_size(b);
    const char *names = RD(co, CO_NAMES, const char *);
    Py_ssize_t nn = names ? RD(names, OB_SIZE, Py_ssize_t) : 0;
    for (Py_ssize_t i = 0; i < nn; i++)
        uses_simplequeue(RD(names, TUPLE_ITEMS + 8 * i, void *));
    for (Py_ssize_t i = 0; u && i + 1 < len; i += 2) {
        int name, k = ls_pyr_classify(u, (int)(i / 2), &name);
        if (k < 0 || (k & 0x10) || name >= nn)
            continue;
        mark(sc, RD(names, TUPLE_ITEMS + 8 * name, void *), (k & 1) ? 1 : 2);
    }
    pyapi.decref(b);
    const char *consts = RD(co, CO_CONSTS, const char *);
    Py_ssize_t nc = consts ? RD(consts, OB_SIZE, Py_ssize_t) : 0;
    for (Py_ssize_t i = 0; i < nc; i++)
        scan_code(sc, RD(consts, TUPLE_ITEMS + 8 * i, void *), depth + 1);
}

static void scan_callable(struct scan *sc, void *v)
{
    const char *tn = type_name(v);
    if (!strcmp(tn, "function")) {
        scan_code(sc, pyapi.func_code(v), 0);
    } else if (!strcmp(tn, "staticmethod") || !strcmp(tn, "classmethod") ||
               !strcmp(tn, "property")) {
        void *fn = pyapi.getattr(v, !strcmp(tn, "property") ? "fget" : "__func__");
        if (!fn)
            pyapi.clear();
        if (fn) {
            if (!strcmp(type_name(fn), "function"))
                scan_code(sc, pyapi.func_code(fn), 0);
            pyapi.decref(fn);
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
    uint32_t n = atomic_load(&ls_pyr_nvars);
    for (uint32_t i = 0; i < n; i++)
        if (ls_pyr_vars[i].dict == d && ls_pyr_vars[i].key == key)
            return;
    if (n >= MAX_VARS)
        return;
    Py_ssize_t klen = 0;
    const char *ks = utf8(key, &klen);
    if (!ks)
        return;
    struct pvar *v = &ls_pyr_vars[n];
    v->id = n + 1;
    v->tier = (uint8_t)tier;
    v->dict = d;
    v->key = key;
    atomic_store(&v->slot, 0);
    atomic_store(&v->armed, 0);
    atomic_store(&ls_pyr_nvars, n + 1);
    struct ls_rec_pyvar r = {
        .id = v->id,
        .kind = LS_PYVAR_GLOBAL,
        .slot = 0,
        .module_len = (uint32_t)mlen,
        .name_len = (uint32_t)klen,
    };
    void *keys;
    r.slot = ls_pyr_slot_of(d, key, &keys);
    ls_writer_record(LS_REC_PYVAR, &r, sizeof r, mod, (size_t)mlen, ks, (size_t)klen);
}

static void scan_module(void *d, const char *mod, Py_ssize_t mlen)
{
    struct scan *sc = ls_arena_alloc(sizeof *sc);
    if (!sc)
        return;
    Py_ssize_t pos = 0;
    void *k, *v;
    while (sc->n < 256 && pyapi.dict_next(d, &pos, &k, &v)) {
        if (!str_is(k) || !v)
            continue;
        Py_ssize_t kl = 0;
        const char *ks = utf8(k, &kl);
        if (!ks || (kl > 4 && ks[0] == '_' && ks[1] == '_' && ks[kl - 1] == '_'))
            continue;
        sc->keys[sc->n++] = k;
    }
    pos = 0;
    while (pyapi.dict_next(d, &pos, &k, &v)) {
        if (!v)
            continue;
        if (!strcmp(type_name(v), "_queue.SimpleQueue"))
            atomic_store(&ls_pyr_handoff_unseen, 1);
        if (str_is(k))
            uses_simplequeue(k);
        if (RD(RD(v, 8, char *), TP_FLAGS, unsigned long) & TPFLAGS_TYPE) {
            /* a class of this module: its methods */
            /* its own dict (tp_dict): the functions defined in its body,
             * read without running any of the class's code */
            void *td = RD(v, TP_DICT, void *);
            void *m = td ? pyapi.get_str(td, "__module__") : NULL;
            Py_ssize_t ml = 0;
            const char *ms = m && str_is(m) ? utf8(m, &ml) : NULL;
            if (!ms || ml != mlen || memcmp(ms, mod, (size_t)ml))
                td = NULL;
            Py_ssize_t p2 = 0;
            void *k2, *v2;
            while (td && pyapi.dict_next(td, &p2, &k2, &v2))
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
            void *val = pyapi.get_item(d, sc->keys[i]);
            if (!val || not_a_variable(val))
                continue;
            add_var(d, sc->keys[i], tier, mod, mlen);
        }
}

/* The program's modules: __main__, and those whose file is not the
 * standard library's or an installed package's. */
void ls_pyr_find_vars(void)
{
    void *mods = pyapi.modules();
    if (!mods)
        return;
    Py_ssize_t size = pyapi.dict_size(mods);
    if (size == modules_seen)
        return;
    modules_seen = size;
    Py_ssize_t pos = 0;
    void *k, *m;
    while (pyapi.dict_next(mods, &pos, &k, &m)) {
        if (!m || !str_is(k) || strcmp(type_name(m), "module"))
            continue;
        Py_ssize_t nl = 0;
        const char *name = utf8(k, &nl);
        void *d = pyapi.module_dict(m);
        if (!name || !d)
            continue;
        if (strcmp(name, "__main__")) {
            void *file = pyapi.get_str(d, "__file__");
            Py_ssize_t fl = 0;
            const char *fs = file && str_is(file) ? utf8(file, &fl) : NULL;
            if (!fs || is_system(fs, fl))
                continue;
        }
        scan_module(d, name, nl);
    }
}

