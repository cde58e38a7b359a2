/*
 * Id lookups, the per-process symbolizer and lock names.
 */
#define _GNU_SOURCE
#include "model.h"
#include "timeline.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct id_entry {
    uint32_t id;
    const void *ptr;
    UT_hash_handle hh;
};

struct index {
    struct id_entry *stacks, *threads, *locks;
};

static void add(struct id_entry **map, uint32_t id, const void *ptr)
{
    struct id_entry *e;
    HASH_FIND(hh, *map, &id, sizeof id, e);
    if (e) {
        e->ptr = ptr; /* a later record for the same id wins */
        return;
    }
    e = xmalloc(sizeof *e);
    e->id = id;
    e->ptr = ptr;
    HASH_ADD(hh, *map, id, sizeof e->id, e);
}

static const void *find(struct id_entry *map, uint32_t id)
{
    struct id_entry *e;
    HASH_FIND(hh, map, &id, sizeof id, e);
    return e ? e->ptr : NULL;
}

static void clear(struct id_entry **map)
{
    struct id_entry *e, *tmp;
    HASH_ITER(hh, *map, e, tmp) {
        HASH_DEL(*map, e);
        free(e);
    }
}

void ls_process_index(struct ls_process *p)
{
    struct index *ix = p->index;
    if (ix) {
        clear(&ix->stacks);
        clear(&ix->threads);
        clear(&ix->locks);
    } else {
        ix = p->index = xcalloc(1, sizeof *ix);
    }
    for (size_t i = 0; i < p->nstacks; i++)
        add(&ix->stacks, p->stacks[i].id, &p->stacks[i]);
    for (size_t i = 0; i < p->nthreads; i++)
        add(&ix->threads, p->threads[i].tid, &p->threads[i]);
    for (size_t i = 0; i < p->nlocks; i++)
        add(&ix->locks, p->locks[i].id, &p->locks[i]);
}

const struct ls_stack *ls_find_stack(const struct ls_process *p, uint32_t id)
{
    return id && p->index ? find(((struct index *)p->index)->stacks, id) : NULL;
}

const struct ls_thread_info *ls_find_thread(const struct ls_process *p, uint32_t tid)
{
    return tid && p->index ? find(((struct index *)p->index)->threads, tid) : NULL;
}

const struct ls_lock_info *ls_find_lock(const struct ls_process *p, uint32_t id)
{
    return id && p->index ? find(((struct index *)p->index)->locks, id) : NULL;
}

struct ls_symbolizer *ls_process_symbolizer(struct ls_process *p)
{
    if (p->sym)
        return p->sym;
    p->sym = ls_sym_new();
    for (size_t i = 0; i < p->nmodules; i++) {
        const struct ls_module_rec *m = &p->modules[i];
        /* The vDSO has no file to read. */
        if (!m->path || !*m->path || strncmp(m->path, "linux-vdso", 10) == 0 ||
            strncmp(m->path, "linux-gate", 10) == 0)
            continue;
        struct ls_module_info mi = {
            .path = m->path,
            .bias = m->bias,
            .start = m->start,
            .end = m->end,
            .build_id = m->build_id,
            .build_id_len = m->build_id_len,
        };
        ls_sym_add_module(p->sym, &mi);
    }
    return p->sym;
}

char *ls_lock_symbol(struct ls_process *p, const struct ls_lock_info *l)
{
    uint64_t off = 0, size = 0;
    const char *name = ls_sym_data(ls_process_symbolizer(p), l->addr, &off, &size);
    if (!name)
        return NULL;
    if (off == 0)
        return xstrdup(name);
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s+%llu", name, (unsigned long long)off);
    return sb_detach(&sb);
}

const char *ls_lock_kind_name(uint32_t kind)
{
    switch (kind) {
    case LS_LOCK_MUTEX: return "mutex";
    case LS_LOCK_MUTEX_RECURSIVE: return "recursive mutex";
    case LS_LOCK_MUTEX_ERRORCHECK: return "error-checking mutex";
    case LS_LOCK_RWLOCK: return "rwlock";
    case LS_LOCK_SPIN: return "spinlock";
    case LS_LOCK_PY: return "Python Lock";
    case LS_LOCK_PY_RLOCK: return "Python RLock";
    default: return "lock";
    }
}

void ls_process_free(struct ls_process *p)
{
    if (!p)
        return;
    struct index *ix = p->index;
    if (ix) {
        clear(&ix->stacks);
        clear(&ix->threads);
        clear(&ix->locks);
        free(ix);
    }
    if (p->sym)
        ls_sym_free(p->sym);
    ls_py_free(p->py);
    for (size_t i = 0; i < p->nmodules; i++) {
        free(p->modules[i].build_id);
        free(p->modules[i].path);
    }
    for (size_t i = 0; i < p->nstacks; i++)
        free(p->stacks[i].ips);
    for (size_t i = 0; i < p->nthreads; i++)
        free(p->threads[i].name);
    free(p->held_pool);
    free(p->edge_more);
    for (size_t i = 0; i < p->nnotes; i++)
        free(p->notes[i].msg);
    for (size_t i = 0; i < p->ndeadlocks; i++) {
        for (uint32_t j = 0; j < p->deadlocks[i].nthreads; j++)
            free(p->deadlocks[i].threads[j].held);
        free(p->deadlocks[i].threads);
    }
    free(p->deadlocks);
    free(p->misuses);
    for (size_t i = 0; i < p->nclocks; i++)
        free(p->clocks[i].v);
    free(p->clocks);
    for (size_t i = 0; i < p->nexecs; i++)
        free(p->execs[i].path);
    free(p->execs);
    for (size_t i = 0; i < p->naccesses; i++)
        free(p->accesses[i].held);
    free(p->accesses);
    free(p->objects);
    free(p->thread_args);
    free(p->watch_msg);
    ls_tl_model_free(p->timeline);
    for (size_t i = 0; i < p->nprofiles; i++)
        free(p->profiles[i].sites);
    free(p->profiles);
    free(p->writer_queued);
    free(p->sync_races);
    for (int i = 0; i < p->argc; i++)
        free(p->argv[i]);
    free(p->argv);
    free(p->modules);
    free(p->stacks);
    free(p->threads);
    free(p->joins);
    free(p->locks);
    free(p->edges);
    free(p->notes);
    free(p->exe);
    free(p->trace_path);
    free(p);
}

const struct ls_object_rec *ls_find_object(const struct ls_process *p, uint32_t id)
{
    /* Ids come in order: a binary search, with a scan for a trace that
     * does not keep it. */
    size_t lo = 0, hi = p->nobjects;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->objects[mid].r.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->nobjects && p->objects[lo].r.id == id)
        return &p->objects[lo];
    for (size_t i = 0; i < p->nobjects; i++)
        if (p->objects[i].r.id == id)
            return &p->objects[i];
    return NULL;
}
