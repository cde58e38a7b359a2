#define _GNU_SOURCE
#include "race.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* Pairs examined per variable: enough for every distinct pair of sites in
 * real programs, bounded for hot variables sampled thousands of times. */
#define MAX_PER_VAR 2048

struct clock_key {
    uint32_t tid, version;
};

struct clock_entry {
    struct clock_key key;
    const struct ls_clock_rec *c;
    UT_hash_handle hh;
};

struct var {
    uint64_t start;           /* the variable's first byte (or the address, unnamed) */
    const char *name;
    uint64_t offset, size;
    int atomic;
    size_t *acc;              /* indexes of its accesses */
    size_t n, cap;
    UT_hash_handle hh;
};

struct ctx {
    struct ls_process *p;
    struct clock_entry *clocks;
    struct var *vars;
};

static const struct ls_clock_rec *clock_of(struct ctx *c, const struct ls_access_rec *a)
{
    struct clock_key k = {a->tid, a->clock_version};
    struct clock_entry *e;
    HASH_FIND(hh, c->clocks, &k, sizeof k, e);
    return e ? e->c : NULL;
}

/* a happened before b: b's thread knew a's epoch when it accessed (cb is
 * b's clock). */
static int before(const struct ls_access_rec *a, const struct ls_clock_rec *cb)
{
    if (!cb)
        return 1; /* unknown: never judge an access we cannot place */
    return a->tid < cb->n && cb->v[a->tid] >= a->epoch;
}

static int is_write(const struct ls_access_rec *a)
{
    return (a->flags & LS_ACCESS_WRITE) != 0;
}

static uint64_t site_of(struct ls_process *p, const struct ls_access_rec *a)
{
    const struct ls_stack *s = ls_find_stack(p, a->stack);
    return s && s->depth ? s->ips[0] : 0;
}

static void build_access(struct ls_process *p, struct ls_finding *f, int side,
                         const struct ls_access_rec *a)
{
    struct ls_faccess *fa = &f->access[side];
    ls_fthread_build(p, a->tid, &fa->thread);
    fa->write = is_write(a);
    ls_fstack_build(p, a->stack, &fa->stack);
    fa->nheld = a->nheld;
    fa->held = xcalloc(a->nheld + 1, sizeof *fa->held);
    for (uint32_t i = 0; i < a->nheld; i++)
        fa->held[i] = ls_finding_lock(f, p, a->held[i]);
}

static char *explain(const struct ls_finding *f)
{
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < 2; i++) {
        const struct ls_faccess *a = &f->access[i];
        if (i)
            sb_adds(&sb, ", and ");
        ls_thread_label(&sb, a->thread.tid);
        sb_printf(&sb, " %s %s", a->write ? "writes" : "reads", f->var.name);
        if (a->nheld == 0) {
            sb_adds(&sb, " holding no lock");
        } else {
            sb_adds(&sb, " holding ");
            for (size_t j = 0; j < a->nheld; j++)
                sb_printf(&sb, "%s%s", j ? ", " : "", f->locks[a->held[j]].label);
        }
    }
    sb_adds(&sb, ". Nothing orders the two accesses: no lock both of them hold, and no "
                 "thread creation, join, condition variable, semaphore, barrier or once "
                 "between them, so they can happen at the same time or in either order.");
    return sb_detach(&sb);
}

static int seen_pair(uint64_t (*pairs)[2], size_t n, uint64_t a, uint64_t b)
{
    for (size_t i = 0; i < n; i++)
        if ((pairs[i][0] == a && pairs[i][1] == b) || (pairs[i][0] == b && pairs[i][1] == a))
            return 1;
    return 0;
}

static size_t check_var(struct ctx *c, struct var *v, size_t proc, struct ls_report *r)
{
    struct ls_process *p = c->p;
    size_t added = 0, npairs = 0, cap = 0;
    uint64_t(*pairs)[2] = NULL;
    size_t n = v->n < MAX_PER_VAR ? v->n : MAX_PER_VAR;
    /* Each access's site and clock, looked up once rather than per pair. */
    uint64_t *site = xcalloc(n + 1, sizeof *site);
    const struct ls_clock_rec **clock = xcalloc(n + 1, sizeof *clock);
    for (size_t i = 0; i < n; i++) {
        site[i] = site_of(p, &p->accesses[v->acc[i]]);
        clock[i] = clock_of(c, &p->accesses[v->acc[i]]);
    }
    for (size_t i = 0; i < n; i++) {
        const struct ls_access_rec *a = &p->accesses[v->acc[i]];
        for (size_t j = i + 1; j < n; j++) {
            const struct ls_access_rec *b = &p->accesses[v->acc[j]];
            if (a->tid == b->tid || (!is_write(a) && !is_write(b)))
                continue;
            if (before(a, clock[j]) || before(b, clock[i]))
                continue;
            uint64_t sa = site[i], sb = site[j];
            if (seen_pair(pairs, npairs, sa, sb))
                continue;
            LS_GROW(pairs, cap, npairs + 1);
            pairs[npairs][0] = sa;
            pairs[npairs][1] = sb;
            npairs++;
            struct ls_finding *f = ls_report_add(r);
            f->kind = LS_FIND_RACE;
            f->severity = "error";
            f->proc = proc;
            f->var.name = xstrdup(v->name);
            f->var.addr = a->addr;
            f->var.size = v->size;
            f->var.offset = v->offset;
            f->var.watched = a->size;
            /* The write first: it is what makes the pair a race. */
            const struct ls_access_rec *first = is_write(a) ? a : b;
            build_access(p, f, 0, first);
            build_access(p, f, 1, first == a ? b : a);
            f->summary = ls_fstack_user_frame(&f->access[0].stack);
            f->reason = explain(f);
            ls_finding_set_id(f);
            /* Two sampled pairs at the same lines are one finding. */
            int dup = 0;
            for (size_t k = 0; k + 1 < r->nfindings && !dup; k++)
                dup = r->findings[k].kind == LS_FIND_RACE && !strcmp(r->findings[k].id, f->id);
            if (dup)
                ls_report_pop(r);
            else
                added++;
        }
    }
    free(pairs);
    free(site);
    free(clock);
    return added;
}

/* Races are judged only when every synchronization the program does is
 * known: its _Atomic globals must have been followed throughout. */
static const char *unfollowed_atomics(struct ls_process *p, char **names)
{
    *names = p->exe && *p->exe ? ls_atomic_globals(p->exe) : NULL;
    if (!*names || !**names)
        return NULL;
    size_t count = 1;
    for (const char *c = *names; *c; c++)
        count += *c == ',';
    if ((p->watch_sync & 0xffff) < count)
        return "it synchronizes through more _Atomic globals than lockscope can follow at "
               "once";
    if (p->watch_sync & LS_WATCH_SYNC_INCOMPLETE)
        return "some accesses to its _Atomic globals were missed (the rate limit set one "
               "aside)";
    return NULL;
}

#define RACE_TITLE "data races on global variables"

/* Where watching could not start, the scope entry says why. */
static void scope_unwatched(const struct ls_process *p, struct ls_fprocess *fp)
{
    const char *why = p->watch_msg && *p->watch_msg ? p->watch_msg : NULL;
    switch (p->watch_status) {
    case LS_WATCH_REFUSED:
        if (!why)
            why = "the kernel refused hardware watchpoints";
        break;
    case LS_WATCH_OFF:
        if (!why)
            why = "turned off (LOCKSCOPE_OPTIONS=watch=0)";
        break;
    case LS_WATCH_NONE:
        if (!why)
            why = "the program has no global variables to watch";
        break;
    default:
        why = "the trace does not say whether memory accesses were sampled";
        break;
    }
    ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_NOT_CHECKED, "%s", why);
}

/* A note of the shim that means accesses or clocks are missing. */
static const char *lost_accesses(const struct ls_process *p)
{
    for (size_t i = 0; i < p->nnotes; i++) {
        const char *m = p->notes[i].msg ? p->notes[i].msg : "";
        if (p->notes[i].code == LS_NOTE_DROPPED &&
            (strstr(m, "vector clock") || strstr(m, "access ring")))
            return m;
    }
    return NULL;
}

static void scope_sampled(const struct ls_process *p, struct ls_fprocess *fp)
{
    const char *lost = lost_accesses(p);
    size_t vars = 0;
    for (size_t i = 0; i < fp->nsampled; i++)
        vars += !fp->sampled[i].atomic;
    if (p->nthreads <= 1 && p->naccesses == 0) {
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_CHECKED,
                     "the process ran one thread: nothing could race");
    } else if (lost) {
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_PARTIAL,
                     "%zu accesses sampled on %zu global variables, but some were not "
                     "recorded (%s)",
                     p->naccesses, vars, lost);
    } else {
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_CHECKED,
                     "%zu access%s sampled on %zu of %u global variables that could be "
                     "watched (only globals are watched, and each only part of the time)",
                     p->naccesses, p->naccesses == 1 ? "" : "es", vars, p->watch_candidates);
    }
}

size_t ls_check_races(struct ls_process *p, size_t proc, struct ls_report *r,
                      const struct ls_progress *pg)
{
    struct ls_fprocess *fp = &r->procs[proc];
    if (p->watch_status != LS_WATCH_ON) {
        scope_unwatched(p, fp);
        return 0;
    }
    char *atomics = NULL;
    const char *why = unfollowed_atomics(p, &atomics);
    if (why) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "data races not judged: %s (%s)", why, atomics);
        free(fp->watch_msg);
        fp->watch_msg = sb_detach(&sb);
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_NOT_CHECKED, "not judged: %s (%s)",
                     why, atomics);
        free(atomics);
        return 0;
    }
    free(atomics);
    if (p->naccesses == 0) {
        scope_sampled(p, fp);
        return 0;
    }
    struct ctx c = {p, NULL, NULL};
    for (size_t i = 0; i < p->nclocks; i++) {
        struct clock_entry *e = xcalloc(1, sizeof *e);
        e->key = (struct clock_key){p->clocks[i].tid, p->clocks[i].version};
        e->c = &p->clocks[i];
        struct clock_entry *old;
        HASH_FIND(hh, c.clocks, &e->key, sizeof e->key, old);
        if (old) {
            free(e);
            continue;
        }
        HASH_ADD(hh, c.clocks, key, sizeof e->key, e);
    }
    struct ls_symbolizer *sym = ls_process_symbolizer(p);
    for (size_t i = 0; i < p->naccesses; i++) {
        const struct ls_access_rec *a = &p->accesses[i];
        if (a->clock_version == 0 || (a->flags & LS_ACCESS_KIND_UNKNOWN))
            continue;
        uint64_t off = 0, size = 0;
        const char *name = ls_sym_data(sym, a->addr, &off, &size);
        uint64_t start = name ? a->addr - off : a->addr;
        struct var *v;
        HASH_FIND(hh, c.vars, &start, sizeof start, v);
        if (!v) {
            v = xcalloc(1, sizeof *v);
            v->start = start;
            v->name = name ? name : "<unnamed global>";
            v->offset = off;
            v->size = size;
            v->atomic = name && ls_sym_data_atomic(sym, a->addr);
            HASH_ADD(hh, c.vars, start, sizeof v->start, v);
        }
        LS_GROW(v->acc, v->cap, v->n + 1);
        v->acc[v->n++] = i;
    }
    size_t added = 0;
    struct var *v, *tv;
    fp->sampled = xcalloc(HASH_COUNT(c.vars) + 1, sizeof *fp->sampled);
    HASH_ITER(hh, c.vars, v, tv) {
        struct ls_fsampled *sv = &fp->sampled[fp->nsampled++];
        sv->name = xstrdup(v->name);
        sv->atomic = v->atomic;
        for (size_t i = 0; i < v->n; i++) {
            if (is_write(&p->accesses[v->acc[i]]))
                sv->writes++;
            else
                sv->reads++;
        }
    }
    size_t nvars = HASH_COUNT(c.vars), done = 0;
    HASH_ITER(hh, c.vars, v, tv) {
        ls_progress(pg, LS_STAGE_RACES, done++, nvars);
        if (!v->atomic)
            added += check_var(&c, v, proc, r);
        HASH_DEL(c.vars, v);
        free(v->acc);
        free(v);
    }
    struct clock_entry *e, *te;
    HASH_ITER(hh, c.clocks, e, te) {
        HASH_DEL(c.clocks, e);
        free(e);
    }
    scope_sampled(p, fp);
    return added;
}
