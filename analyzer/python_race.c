/*
 * Python-level data races (see python_race.h and preload/python_race.c).
 *
 * Each pair of accesses to one Python variable by two threads, one of
 * them a write, is judged with the vector clocks the shim recorded with
 * them: the clocks are made from Python's own synchronization (Lock and
 * RLock release -> acquire, Thread.start, join, Condition and Event
 * wake-ups, queue.Queue through its lock), never from the GIL.  A pair
 * neither of which happened before the other is a race; one finding per
 * pair of Python lines.
 */
#define _GNU_SOURCE
#include "python_race.h"
#include "findings.h"
#include "model.h"
#include "python.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PER_VAR 4096

struct pvar {
    uint32_t id;
    uint64_t slot;
    char *module, *name;
};

struct pacc {
    uint32_t tid, epoch, clock_version, flags, var, stack, nheld;
    uint32_t *held;
    uint64_t ns;
};

struct ls_pyrace {
    struct pvar *vars;
    size_t nvars, cap_vars;
    struct pacc *acc;
    size_t nacc, cap_acc;
    int status;               /* LS_PYWATCH_*, 0: no record */
    struct ls_rec_pywatch w;
    char *msg;
};

static char *copy(const uint8_t *s, size_t n)
{
    char *r = xmalloc(n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

int ls_pyrace_parse(struct ls_pyrace **prp, uint16_t type, const uint8_t *d, size_t n, char *err,
                    size_t errlen)
{
    if (!*prp)
        *prp = xcalloc(1, sizeof **prp);
    struct ls_pyrace *pr = *prp;
    switch (type) {
    case LS_REC_PYVAR: {
        struct ls_rec_pyvar r;
        if (n < sizeof r)
            break;
        memcpy(&r, d, sizeof r);
        if ((size_t)r.module_len + r.name_len > n - sizeof r) {
            snprintf(err, errlen, "pyvar record: names do not fit in %zu bytes", n);
            return -1;
        }
        LS_GROW(pr->vars, pr->cap_vars, pr->nvars + 1);
        struct pvar *v = &pr->vars[pr->nvars++];
        v->id = r.id;
        v->slot = r.slot;
        v->module = copy(d + sizeof r, r.module_len);
        v->name = copy(d + sizeof r + r.module_len, r.name_len);
        break;
    }
    case LS_REC_PYACCESS: {
        struct ls_rec_pyaccess r;
        if (n < sizeof r)
            break;
        memcpy(&r, d, sizeof r);
        if (r.nheld > (n - sizeof r) / sizeof(uint32_t)) {
            snprintf(err, errlen, "pyaccess record: %u held locks do not fit in %zu bytes",
                     r.nheld, n);
            return -1;
        }
        LS_GROW(pr->acc, pr->cap_acc, pr->nacc + 1);
        struct pacc *a = &pr->acc[pr->nacc++];
        *a = (struct pacc){r.tid, r.epoch, r.clock_version, r.flags, r.var, r.stack, r.nheld,
                           NULL, r.ns};
        a->held = xcalloc(r.nheld + 1, sizeof *a->held);
        memcpy(a->held, d + sizeof r, r.nheld * sizeof(uint32_t));
        break;
    }
    case LS_REC_PYWATCH: {
        struct ls_rec_pywatch r;
        if (n < sizeof r)
            break;
        memcpy(&r, d, sizeof r);
        pr->status = (int)r.status;
        pr->w = r;
        free(pr->msg);
        pr->msg = copy(d + sizeof r, r.msg_len <= n - sizeof r ? r.msg_len : 0);
        break;
    }
    default:
        break;
    }
    return 0;
}

void ls_pyrace_free(struct ls_pyrace *pr)
{
    if (!pr)
        return;
    for (size_t i = 0; i < pr->nvars; i++) {
        free(pr->vars[i].module);
        free(pr->vars[i].name);
    }
    for (size_t i = 0; i < pr->nacc; i++)
        free(pr->acc[i].held);
    free(pr->vars);
    free(pr->acc);
    free(pr->msg);
    free(pr);
}

static const struct ls_clock_rec *clock_of(const struct ls_process *p, uint32_t tid,
                                           uint32_t version)
{
    /* the last one written for (tid, version): they are all alike */
    for (size_t i = p->nclocks; i-- > 0;)
        if (p->clocks[i].tid == tid && p->clocks[i].version == version)
            return &p->clocks[i];
    return NULL;
}

static int before(const struct pacc *a, const struct ls_clock_rec *cb)
{
    if (!cb)
        return 1; /* never judge an access we cannot place */
    return a->tid < cb->n && cb->v[a->tid] >= a->epoch;
}

static void thread_label(struct strbuf *sb, const struct ls_fthread *t)
{
    if (t->name)
        sb_printf(sb, "thread %s", t->name);
    else
        ls_thread_label(sb, t->tid);
}

static void frame_at(struct strbuf *sb, const struct ls_fstack *s)
{
    const struct ls_fframe *f = ls_fstack_user_frame(s);
    if (!f && s->n)
        f = &s->frames[0];
    if (f && f->file) {
        const char *base = strrchr(f->file, '/');
        sb_printf(sb, " at %s:%d", base ? base + 1 : f->file, f->line);
        if (f->function)
            sb_printf(sb, " (in %s)", f->function);
    }
}

static char *explain(const struct ls_finding *f)
{
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < 2; i++) {
        const struct ls_faccess *a = &f->access[i];
        if (i)
            sb_adds(&sb, ", and ");
        thread_label(&sb, &a->thread);
        sb_printf(&sb, " %s `%s`", a->write ? "writes" : "reads", a->where);
        frame_at(&sb, &a->stack);
        if (a->nheld == 0) {
            sb_adds(&sb, " holding no lock");
        } else {
            sb_adds(&sb, " holding ");
            for (size_t j = 0; j < a->nheld; j++)
                sb_printf(&sb, "%s%s", j ? ", " : "", f->locks[a->held[j]].label);
        }
    }
    sb_adds(&sb, ". Nothing orders the two: no Lock or RLock both of them hold, and no "
                 "Thread.start or join, Queue put and get, Event set and wait, Condition "
                 "notify and wait, or executor submit and result between them, so they can "
                 "happen in either order. The GIL makes each bytecode atomic, not the read "
                 "and the write back of an update: another thread can run between them, and "
                 "its update is lost.");
    return sb_detach(&sb);
}

static void build_side(struct ls_process *p, struct ls_finding *f, int side, const struct pvar *v,
                       const struct pacc *a)
{
    struct ls_faccess *fa = &f->access[side];
    ls_fthread_build(p, a->tid, &fa->thread);
    fa->write = (a->flags & LS_ACCESS_WRITE) != 0;
    fa->read = !fa->write;
    fa->addr = v->slot;
    fa->size = 8;
    fa->offset = 0;
    fa->watched = 8;
    fa->where = xstrdup(v->name);
    ls_fstack_build(p, a->stack, &fa->stack);
    fa->at_ns = a->ns;
    fa->nheld = a->nheld;
    fa->held = xcalloc(a->nheld + 1, sizeof *fa->held);
    for (uint32_t i = 0; i < a->nheld; i++)
        fa->held[i] = ls_finding_lock(f, p, a->held[i]);
}

static void add_finding(struct ls_process *p, size_t proc, struct ls_report *r,
                        const struct pvar *v, const struct pacc *w, const struct pacc *o,
                        size_t *added)
{
    struct ls_finding *f = ls_report_add(r);
    f->kind = LS_FIND_RACE;
    f->severity = "error";
    f->proc = proc;
    f->var.name = xstrdup(v->name);
    f->var.addr = v->slot;
    f->var.size = 8;
    f->var.location = LS_VLOC_PYTHON;
    f->var.module = xstrdup(v->module);
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "Python global `%s` of module `%s`", v->name, v->module);
    f->var.description = sb_detach(&sb);
    build_side(p, f, 0, v, w);
    build_side(p, f, 1, v, o);
    f->summary = ls_fstack_user_frame(&f->access[0].stack);
    f->reason = explain(f);
    ls_finding_set_id(f);
    *added += (size_t)ls_report_keep_new_race(r);
}

/* The Python line an access was made at: its stack's innermost frame. */
static uint64_t site_of(struct ls_process *p, const struct pacc *a)
{
    const struct ls_pystack *s = ls_py_stack(p, a->stack);
    if (!s || !s->n)
        return 0;
    return (uint64_t)s->f[0].code << 32 | (uint32_t)s->f[0].line;
}

static size_t check_var(struct ls_process *p, size_t proc, struct ls_report *r,
                        const struct ls_pyrace *pr, const struct pvar *v)
{
    size_t *idx = xcalloc(pr->nacc + 1, sizeof *idx), n = 0;
    for (size_t i = 0; i < pr->nacc && n < MAX_PER_VAR; i++)
        if (pr->acc[i].var == v->id && pr->acc[i].clock_version)
            idx[n++] = i;
    const struct ls_clock_rec **clk = xcalloc(n + 1, sizeof *clk);
    uint64_t *site = xcalloc(n + 1, sizeof *site);
    for (size_t i = 0; i < n; i++) {
        const struct pacc *a = &pr->acc[idx[i]];
        clk[i] = clock_of(p, a->tid, a->clock_version);
        site[i] = site_of(p, a);
    }
    uint64_t(*pairs)[2] = NULL;
    size_t npairs = 0, cap = 0, added = 0;
    /* read/write pairs first (the lost update), then write/write */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            const struct pacc *a = &pr->acc[idx[i]];
            for (size_t j = i + 1; j < n; j++) {
                const struct pacc *b = &pr->acc[idx[j]];
                int wa = (a->flags & LS_ACCESS_WRITE) != 0, wb = (b->flags & LS_ACCESS_WRITE) != 0;
                if (a->tid == b->tid || (!wa && !wb) || (pass == 0) != (wa != wb))
                    continue;
                if (before(a, clk[j]) || before(b, clk[i]))
                    continue;
                int seen = 0;
                for (size_t k = 0; k < npairs && !seen; k++)
                    seen = (pairs[k][0] == site[i] && pairs[k][1] == site[j]) ||
                           (pairs[k][0] == site[j] && pairs[k][1] == site[i]);
                if (seen)
                    continue;
                LS_GROW(pairs, cap, npairs + 1);
                pairs[npairs][0] = site[i];
                pairs[npairs][1] = site[j];
                npairs++;
                add_finding(p, proc, r, v, wa ? a : b, wa ? b : a, &added);
            }
        }
    free(pairs);
    free(site);
    free(clk);
    free(idx);
    return added;
}

#define TITLE "data races on global variables"

size_t ls_check_py_races(struct ls_process *p, size_t proc, struct ls_report *r)
{
    struct ls_pyrace *pr = p->py ? p->py->race : NULL;
    if (!pr || !pr->status)
        return 0;
    struct ls_fprocess *fp = &r->procs[proc];
    if (pr->status != LS_PYWATCH_ON) {
        ls_scope_set(fp, "data-race", TITLE, LS_SCOPE_NOT_CHECKED,
                     "Python globals not watched: %s", pr->msg && *pr->msg ? pr->msg : "off");
        return 0;
    }
    size_t added = 0;
    const struct ls_rec_pywatch *w = &pr->w;
    int unseen = (w->flags & LS_PYWATCH_HANDOFF_UNSEEN) != 0;
    for (size_t i = 0; i < pr->nvars && !unseen; i++)
        added += check_var(p, proc, r, pr, &pr->vars[i]);
    /* The process's watch summary is its Python globals'. */
    fp->watch_status = LS_WATCH_ON;
    free(fp->watch_msg);
    fp->watch_msg = NULL;
    fp->accesses = pr->nacc;
    fp->watch_candidates = w->candidates;
    fp->watch_slots = w->slots;
    fp->wcount.traps = w->traps;
    fp->wcount.exact = pr->nacc;
    fp->wcount.limited = w->limited;
    for (size_t i = 0; i < fp->nsampled; i++)
        free(fp->sampled[i].name);
    free(fp->sampled);
    fp->sampled = xcalloc(pr->nvars + 1, sizeof *fp->sampled);
    fp->nsampled = 0;
    for (size_t i = 0; i < pr->nvars; i++) {
        struct ls_fsampled *sv = &fp->sampled[fp->nsampled++];
        sv->name = xstrdup(pr->vars[i].name);
        for (size_t k = 0; k < pr->nacc; k++)
            if (pr->acc[k].var == pr->vars[i].id) {
                if (pr->acc[k].flags & LS_ACCESS_WRITE)
                    sv->writes++;
                else
                    sv->reads++;
            }
    }
    if (unseen) {
        ls_scope_set(fp, "data-race", TITLE, LS_SCOPE_NOT_CHECKED,
                     "Python races not judged: the program hands items over through "
                     "queue.SimpleQueue, which orders threads without any call lockscope sees "
                     "(%zu access%s sampled)",
                     pr->nacc, pr->nacc == 1 ? "" : "es");
    } else if (p->nthreads <= 1 && pr->nacc == 0) {
        ls_scope_set(fp, "data-race", TITLE, LS_SCOPE_CHECKED,
                     "the process ran one Python thread: nothing could race");
    } else if (w->unresolved) {
        ls_scope_set(fp, "data-race", TITLE, LS_SCOPE_PARTIAL,
                     "%zu access%s sampled on %zu Python globals (of %u that functions of the "
                     "program's modules name), but %llu could not be recorded",
                     pr->nacc, pr->nacc == 1 ? "" : "es", pr->nvars, w->candidates,
                     (unsigned long long)w->unresolved);
    } else {
        ls_scope_set(fp, "data-race", TITLE, LS_SCOPE_CHECKED,
                     "%zu access%s sampled on %u Python globals watched (of %u that functions "
                     "of the program's modules name; %u at a time, in turns); the interpreter's "
                     "own C globals are not watched (the GIL guards them)%s",
                     pr->nacc, pr->nacc == 1 ? "" : "es", w->vars, w->candidates, w->slots,
                     w->limited ? "; the rate limit set hot ones aside at times" : "");
    }
    return added;
}
