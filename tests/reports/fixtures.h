/*
 * Hand-built reports for the unit tests: findings built the way the checks
 * build them (every string on the heap, so ls_report_free can free them),
 * with names and paths chosen by the test.
 */
#ifndef LS_TEST_FIXTURES_H
#define LS_TEST_FIXTURES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "util.h"

static inline char *fx_dup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* A stack of n frames: fn[i] in file[i] at line[i], in module mod. */
static inline void fx_stack(struct ls_fstack *s, size_t n, const char *const *fn,
                            const char *const *file, const int *line, const char *mod)
{
    s->n = n;
    s->frames = xcalloc(n + 1, sizeof *s->frames);
    for (size_t i = 0; i < n; i++) {
        s->frames[i].function = fx_dup(fn[i]);
        s->frames[i].file = fx_dup(file[i]);
        s->frames[i].line = line[i];
        s->frames[i].column = line[i] ? 5 : 0;
        s->frames[i].module = fx_dup(mod);
        s->frames[i].module_offset = 0x1000 + (uint64_t)line[i];
        s->frames[i].pc = 0x555500001000 + (uint64_t)line[i];
    }
}

static inline void fx_frame1(struct ls_fstack *s, const char *fn, const char *file, int line,
                             const char *mod)
{
    const char *fns[] = {fn, "start_thread"};
    const char *files[] = {file, "./nptl/pthread_create.c"};
    int lines[] = {line, 442};
    fx_stack(s, 2, fns, files, lines, mod);
    free(s->frames[1].module);
    s->frames[1].module = xstrdup("/lib/x86_64-linux-gnu/libc.so.6");
}

static inline void fx_thread(struct ls_fthread *t, uint32_t tid, const char *name,
                             const char *file)
{
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->os_tid = 1000 + tid;
    t->name = fx_dup(name);
    t->parent = 1;
    fx_frame1(&t->created_at, "main", file, 40 + (int)tid, "/opt/app/bin/app");
}

static inline void fx_lock(struct ls_flock *l, uint32_t id, const char *name, const char *file,
                           int line)
{
    memset(l, 0, sizeof *l);
    l->id = id;
    l->name = fx_dup(name);
    l->label = xstrdup(name);
    l->kind = "mutex";
    l->addr = 0x5555000000 + id * 0x40;
    fx_frame1(&l->site, "worker", file, line, "/opt/app/bin/app");
}

static inline void fx_add_process(struct ls_report *r, uint32_t pid, const char *cmd)
{
    LS_GROW(r->procs, r->cap_procs, r->nprocs + 1);
    struct ls_fprocess *p = &r->procs[r->nprocs++];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->ppid = pid - 1;
    p->exe = xstrdup("/opt/app/bin/app");
    p->cmdline = xstrdup(cmd);
    p->trace = xstrdup("/tmp/t/lockscope.trace");
    p->ended = 1;
    p->nthreads = 3;
    p->nlocks = 2;
    p->nedges = 2;
}

/* A two-lock cycle: thread tid_a takes l1 then l2 in fn_a, thread tid_b
 * takes l2 then l1 in fn_b, all in `file`. */
static inline struct ls_finding *fx_cycle(struct ls_report *r, size_t proc, const char *l1,
                                          const char *l2, const char *fn_a, const char *fn_b,
                                          const char *file, const char *thread_name)
{
    struct ls_finding *f = ls_report_add(r);
    f->kind = LS_FIND_LOCK_ORDER;
    f->severity = "error";
    f->proc = proc;
    f->nlocks = 2;
    f->locks = xcalloc(2, sizeof *f->locks);
    fx_lock(&f->locks[0], 1, l1, file, 10);
    fx_lock(&f->locks[1], 2, l2, file, 11);
    f->nedges = 2;
    f->edges = xcalloc(2, sizeof *f->edges);
    f->edges[0].from = 0;
    f->edges[0].to = 1;
    fx_thread(&f->edges[0].thread, 2, thread_name, file);
    fx_frame1(&f->edges[0].from_stack, fn_a, file, 20, "/opt/app/bin/app");
    fx_frame1(&f->edges[0].to_stack, fn_a, file, 21, "/opt/app/bin/app");
    f->edges[1].from = 1;
    f->edges[1].to = 0;
    fx_thread(&f->edges[1].thread, 3, NULL, file);
    fx_frame1(&f->edges[1].from_stack, fn_b, file, 30, "/opt/app/bin/app");
    fx_frame1(&f->edges[1].to_stack, fn_b, file, 31, "/opt/app/bin/app");
    f->summary = ls_fstack_user_frame(&f->edges[0].to_stack);
    f->reason = xstrdup("T1 can hold the first lock while it waits for the second, and T2 the "
                        "other way round.");
    ls_finding_set_id(f);
    return f;
}

/* A live deadlock of two threads over two locks. */
static inline struct ls_finding *fx_deadlock(struct ls_report *r, size_t proc, const char *file)
{
    struct ls_finding *f = ls_report_add(r);
    f->kind = LS_FIND_DEADLOCK;
    f->severity = "error";
    f->proc = proc;
    f->nlocks = 2;
    f->locks = xcalloc(2, sizeof *f->locks);
    fx_lock(&f->locks[0], 1, "ring_a", file, 10);
    fx_lock(&f->locks[1], 2, "ring_b", file, 11);
    f->nwaiters = 2;
    f->waiters = xcalloc(2, sizeof *f->waiters);
    for (size_t i = 0; i < 2; i++) {
        struct ls_fwaiter *w = &f->waiters[i];
        fx_thread(&w->thread, (uint32_t)i + 2, NULL, file);
        w->wait = "lock";
        w->lock = 1 - i;
        w->waits_on = (uint32_t)(1 - i) + 2;
        fx_frame1(&w->wait_stack, "member", file, 50 + (int)i, "/opt/app/bin/app");
        w->nheld = 1;
        w->held = xcalloc(1, sizeof *w->held);
        w->held[0].lock = i;
        fx_frame1(&w->held[0].stack, "member", file, 45 + (int)i, "/opt/app/bin/app");
    }
    f->ended = 1;
    f->exit_status = 86;
    f->summary = ls_fstack_user_frame(&f->waiters[0].wait_stack);
    f->reason = xstrdup("T1 waits for ring_b, held by T2, and T2 waits for ring_a, held by T1.");
    ls_finding_set_id(f);
    return f;
}

/* A data race on global `var`: T1 writes it holding nothing, T2 reads it
 * holding lock `held` (pass NULL for none). */
static inline struct ls_finding *fx_race(struct ls_report *r, size_t proc, const char *var,
                                         const char *file, const char *held)
{
    struct ls_finding *f = ls_report_add(r);
    f->kind = LS_FIND_RACE;
    f->severity = "error";
    f->proc = proc;
    f->var.name = xstrdup(var);
    f->var.addr = 0x5555000010;
    f->var.size = 8;
    if (held) {
        f->nlocks = 1;
        f->locks = xcalloc(1, sizeof *f->locks);
        fx_lock(&f->locks[0], 1, held, file, 9);
    }
    for (int i = 0; i < 2; i++) {
        struct ls_faccess *a = &f->access[i];
        fx_thread(&a->thread, (uint32_t)i + 2, NULL, file);
        a->write = i == 0;
        a->addr = 0x5555000010;
        a->size = 8;
        a->where = xstrdup(var);
        fx_frame1(&a->stack, i == 0 ? "deposit" : "audit", file, 14 + 8 * i, "/opt/app/bin/app");
        if (held && i == 1) {
            a->nheld = 1;
            a->held = xcalloc(1, sizeof *a->held);
        }
    }
    f->summary = ls_fstack_user_frame(&f->access[1].stack);
    f->reason = xstrdup("T1 writes it holding no lock, and T2 reads it: nothing orders them.");
    ls_finding_set_id(f);
    return f;
}

#endif
