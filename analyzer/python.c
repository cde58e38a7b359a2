/*
 * CPython processes: the Python records of a trace (see python.h).
 */
#define _GNU_SOURCE
#include "python.h"
#include "model.h"
#include "util.h"
#include "findings.h"
#include "python_race.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ls_pyinfo *info(struct ls_process *p)
{
    if (!p->py)
        p->py = xcalloc(1, sizeof *p->py);
    return p->py;
}

static char *copy(const uint8_t *s, size_t n)
{
    char *r = xmalloc(n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

int ls_py_parse(struct ls_process *p, uint16_t type, const uint8_t *d, size_t n, char *err,
                size_t errlen)
{
    struct ls_pyinfo *py = info(p);
    py->sorted = 0;
    switch (type) {
    case LS_REC_PYVAR:
    case LS_REC_PYACCESS:
    case LS_REC_PYWATCH:
        return ls_pyrace_parse(&py->race, type, d, n, err, errlen);
    case LS_REC_PYTHON: {
        struct ls_rec_python r;
        if (n < sizeof r)
            break;
        memcpy(&r, d, sizeof r);
        py->version = r.version;
        py->flags = r.flags;
        return 0;
    }
    case LS_REC_PYCODE: {
        struct ls_rec_pycode r;
        if (n < sizeof r)
            break;
        memcpy(&r, d, sizeof r);
        if (r.file_len > n - sizeof r || r.name_len > n - sizeof r - r.file_len) {
            snprintf(err, errlen, "pycode record: names of %u and %u bytes overrun the record",
                     r.file_len, r.name_len);
            return -1;
        }
        LS_GROW(py->codes, py->cap_codes, py->ncodes + 1);
        struct ls_pycode *c = &py->codes[py->ncodes++];
        c->id = r.id;
        c->file = copy(d + sizeof r, r.file_len);
        c->name = copy(d + sizeof r + r.file_len, r.name_len);
        return 0;
    }
    case LS_REC_PYSTACK: {
        struct ls_rec_pystack r;
        if (n < sizeof r)
            break;
        memcpy(&r, d, sizeof r);
        if (r.nframes > LS_TRACE_MAX_FRAMES ||
            r.nframes * sizeof(struct ls_rec_pyframe) > n - sizeof r) {
            snprintf(err, errlen, "pystack record: %u frames do not fit in %zu bytes", r.nframes,
                     n);
            return -1;
        }
        LS_GROW(py->stacks, py->cap_stacks, py->nstacks + 1);
        struct ls_pystack *s = &py->stacks[py->nstacks++];
        s->stack = r.stack;
        s->n = r.nframes;
        s->f = xmalloc(r.nframes * sizeof *s->f + 1);
        memcpy(s->f, d + sizeof r, r.nframes * sizeof *s->f);
        return 0;
    }
    case LS_REC_PYLOCK: {
        struct ls_rec_pylock r;
        if (n < sizeof r)
            break;
        memcpy(&r, d, sizeof r);
        if (r.name_len > n - sizeof r) {
            snprintf(err, errlen, "pylock record: name of %u bytes overruns the record",
                     r.name_len);
            return -1;
        }
        /* A later record replaces the earlier one; a signal keeps its name. */
        struct ls_pylock *l = NULL;
        for (size_t i = 0; i < py->nlocks; i++)
            if (py->locks[i].lock == r.lock)
                l = &py->locks[i];
        if (!l) {
            LS_GROW(py->locks, py->cap_locks, py->nlocks + 1);
            l = &py->locks[py->nlocks++];
            memset(l, 0, sizeof *l);
            l->lock = r.lock;
        }
        l->role = r.role;
        if (r.name_len) {
            free(l->name);
            l->name = copy(d + sizeof r, r.name_len);
        }
        return 0;
    }
    default:
        return 0;
    }
    snprintf(err, errlen, "python record of type %u: %zu bytes is too short", type, n);
    return -1;
}

static int by_stack(const void *a, const void *b)
{
    uint32_t x = ((const struct ls_pystack *)a)->stack, y = ((const struct ls_pystack *)b)->stack;
    return x < y ? -1 : x > y;
}

static int by_code(const void *a, const void *b)
{
    uint32_t x = ((const struct ls_pycode *)a)->id, y = ((const struct ls_pycode *)b)->id;
    return x < y ? -1 : x > y;
}

static void sort(struct ls_pyinfo *py)
{
    if (py->sorted)
        return;
    if (py->nstacks)
        qsort(py->stacks, py->nstacks, sizeof *py->stacks, by_stack);
    if (py->ncodes)
        qsort(py->codes, py->ncodes, sizeof *py->codes, by_code);
    py->sorted = 1;
}

const struct ls_pystack *ls_py_stack(struct ls_process *p, uint32_t stack)
{
    if (!p->py || !p->py->nstacks)
        return NULL;
    sort(p->py);
    struct ls_pystack k = {.stack = stack};
    return bsearch(&k, p->py->stacks, p->py->nstacks, sizeof k, by_stack);
}

const struct ls_pycode *ls_py_code(struct ls_process *p, uint32_t id)
{
    if (!p->py || !p->py->ncodes)
        return NULL;
    sort(p->py);
    struct ls_pycode k = {.id = id};
    return bsearch(&k, p->py->codes, p->py->ncodes, sizeof k, by_code);
}

static const struct ls_pylock *pylock(const struct ls_process *p, uint32_t lock)
{
    if (!p->py)
        return NULL;
    for (size_t i = 0; i < p->py->nlocks; i++)
        if (p->py->locks[i].lock == lock)
            return &p->py->locks[i];
    return NULL;
}

const char *ls_py_lock_name(struct ls_process *p, uint32_t lock)
{
    const struct ls_pylock *l = pylock(p, lock);
    return l ? l->name : NULL;
}

static int is_signal(const struct ls_process *p, uint32_t lock)
{
    const struct ls_pylock *l = pylock(p, lock);
    return l && l->role == LS_PYLOCK_SIGNAL;
}

void ls_py_finish(struct ls_process *p)
{
    if (!p->py || !p->py->nlocks)
        return;
    size_t k = 0;
    for (size_t i = 0; i < p->nedges; i++) {
        struct ls_edge *e = &p->edges[i];
        if (is_signal(p, e->from) || is_signal(p, e->to))
            continue;
        p->edges[k++] = *e;
    }
    p->nedges = k;
    k = 0;
    for (size_t i = 0; i < p->nprofiles; i++) {
        if (is_signal(p, p->profiles[i].r.lock)) {
            free(p->profiles[i].sites);
            continue;
        }
        p->profiles[k++] = p->profiles[i];
    }
    p->nprofiles = k;
}

void ls_py_free(struct ls_pyinfo *py)
{
    if (!py)
        return;
    for (size_t i = 0; i < py->ncodes; i++) {
        free(py->codes[i].file);
        free(py->codes[i].name);
    }
    for (size_t i = 0; i < py->nstacks; i++)
        free(py->stacks[i].f);
    for (size_t i = 0; i < py->nlocks; i++)
        free(py->locks[i].name);
    free(py->codes);
    free(py->stacks);
    free(py->locks);
    ls_pyrace_free(py->race);
    free(py);
}

void ls_py_version(uint32_t v, char *buf, size_t n)
{
    snprintf(buf, n, "%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff);
}

int ls_py_system_file(const char *file)
{
    if (!file || file[0] == '<')
        return 1;
    return strstr(file, "/lib/python3") != NULL || strstr(file, "/site-packages/") != NULL ||
           strstr(file, "/dist-packages/") != NULL;
}

void ls_py_scope(struct ls_process *p, struct ls_fprocess *fp)
{
    if (!p->py || !p->py->version)
        return;
    static const char title[] = "Python locks (threading.Lock, RLock) and Python stacks";
    char v[32];
    ls_py_version(p->py->version, v, sizeof v);
    if (p->py->flags & LS_PY_LOCKS) {
        size_t n = 0;
        for (size_t i = 0; i < p->nlocks; i++)
            n += p->locks[i].kind == LS_LOCK_PY || p->locks[i].kind == LS_LOCK_PY_RLOCK;
        const char *sub = NULL;
        for (size_t i = 0; i < p->nnotes; i++)
            if (p->notes[i].code == LS_NOTE_PY_SUBINTERP)
                sub = p->notes[i].msg;
        ls_scope_set(fp, "python", title, sub ? LS_SCOPE_PARTIAL : LS_SCOPE_CHECKED,
                     "CPython %s: %zu Python lock%s followed%s%s", v, n, n == 1 ? "" : "s",
                     sub ? "; " : "", sub ? sub : "");
        return;
    }
    const char *why = NULL;
    for (size_t i = 0; i < p->nnotes; i++)
        if (p->notes[i].code == LS_NOTE_PY_UNSEEN)
            why = p->notes[i].msg;
    ls_scope_set(fp, "python", title, LS_SCOPE_NOT_CHECKED, "%s",
                 why ? why : "this CPython's locks are not followed");
}
