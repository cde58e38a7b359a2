#define _GNU_SOURCE
#include "race.h"
#include "argtype.h"
#include "globals.h"
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

/* One access, as far as it concerns one variable: the bytes of it. */
struct ref {
    size_t acc;               /* index into the process's accesses */
    uint64_t lo, hi;          /* [lo, hi): its bytes in this variable */
};

struct var_key {
    uint64_t start;
    uint32_t obj;             /* a watched object's id (heap, stack, TLS), 0: a global */
    uint32_t pad;
};

struct var {
    struct var_key key;
    uint64_t start;           /* the variable's first byte (or the address, unnamed) */
    const char *name;
    uint64_t size;
    int atomic;               /* _Atomic type: synchronization, never reported */
    const struct ls_object_rec *obj; /* heap, stack or TLS memory, NULL: a global */
    char *own_name;           /* name, when made here */
    struct ref *refs;
    size_t n, cap;
    struct ref *atomics;      /* bytes atomic instructions were sampled on */
    size_t natomics, cap_atomics;
    UT_hash_handle hh;
};

struct ctx {
    struct ls_process *p;
    struct clock_entry *clocks;
    struct var *vars;
    struct ls_symbolizer *sym;
    struct ls_argtypes *args; /* what threads' start routines call their arguments' bytes */
    const struct ls_globals *globals; /* of the executable, and where it is loaded */
    uint64_t exe_lo, exe_hi, exe_bias;
    int sync_partial;         /* accesses of a followed _Atomic global went unseen */
    size_t unjudged;          /* unordered pairs not judged for that */
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

static int inexact(const struct ls_access_rec *a)
{
    return (a->flags & LS_ACCESS_INEXACT) != 0;
}

/* Two accesses conflict only on bytes both touched.  One whose address
 * could not be computed touched some bytes of its range, not necessarily
 * all: it conflicts only with an access that covers the whole range, and
 * never with another such access. */
static int overlap(const struct ref *x, const struct ls_access_rec *a, const struct ref *y,
                   const struct ls_access_rec *b)
{
    if (inexact(a) && inexact(b))
        return 0;
    if (inexact(a))
        return y->lo <= x->lo && x->hi <= y->hi;
    if (inexact(b))
        return x->lo <= y->lo && y->hi <= x->hi;
    return x->lo < y->hi && y->lo < x->hi;
}

/* Bytes an atomic instruction touches are a synchronization word (a
 * spinlock, a reference count): its plain loads and stores may be the
 * acquires and releases x86 makes plain moves.  None of their accesses is
 * reported. */
static int on_atomic_bytes(struct ctx *c, const struct var *v, const struct ref *r)
{
    for (size_t i = 0; i < v->natomics; i++)
        if (v->atomics[i].lo < r->hi && r->lo < v->atomics[i].hi)
            return 1;
    return c->globals && r->lo >= c->exe_lo && r->hi <= c->exe_hi &&
           ls_globals_atomic_bytes(c->globals, r->lo - c->exe_bias, r->hi - r->lo);
}

static uint64_t site_of(struct ls_process *p, const struct ls_access_rec *a)
{
    const struct ls_stack *s = ls_find_stack(p, a->stack);
    return s && s->depth ? s->ips[0] : 0;
}

/* What the report calls the bytes an access touched in v. */
static char *where(struct ctx *c, const struct var *v, const struct ref *r)
{
    char *m = NULL;
    if (v->obj && v->obj->global)
        m = ls_sym_pointee_member(c->sym, v->obj->global, r->lo - v->start, r->hi - r->lo);
    else if (!v->obj && v->name[0] != '<')
        m = ls_sym_data_member(c->sym, r->lo, r->hi - r->lo);
    if (!m && v->obj)
        m = ls_argtypes_member(c->args, v->obj, r->lo, r->hi);
    if (m)
        return m;
    struct strbuf sb;
    sb_init(&sb);
    if (r->lo == v->start && (r->hi - r->lo == v->size || !v->size))
        sb_adds(&sb, v->name);
    else
        sb_printf(&sb, "offset %llu of %s", (unsigned long long)(r->lo - v->start), v->name);
    return sb_detach(&sb);
}

static void build_access(struct ctx *c, struct ls_finding *f, int side, const struct var *v,
                         const struct ref *r)
{
    struct ls_process *p = c->p;
    const struct ls_access_rec *a = &p->accesses[r->acc];
    struct ls_faccess *fa = &f->access[side];
    ls_fthread_build(p, a->tid, &fa->thread);
    fa->write = is_write(a);
    fa->read = (a->flags & LS_ACCESS_READ) != 0;
    fa->inexact = inexact(a);
    fa->addr = a->addr;
    fa->size = a->size;
    fa->offset = r->lo - v->start;
    fa->watched = a->watch_len;
    fa->where = where(c, v, r);
    ls_fstack_build(p, a->stack, &fa->stack);
    fa->at_ns = a->ns;
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
        sb_printf(&sb, " %s %s", a->write ? "writes" : "reads", a->where);
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

/* Every synchronization through the followed _Atomic globals between a
 * and b was seen: neither was made while one of them was set aside by the
 * rate limit, and none of their traps went unseen between the two (the
 * shim's count is the same).  A recorded happens-before is real, so an
 * ordered pair needs no such test; an unordered one may be ordered by what
 * went unseen. */
static int sync_known(const struct ls_access_rec *a, const struct ls_access_rec *b)
{
    return !((a->sync_lost | b->sync_lost) & LS_ACCESS_SYNC_BENCHED) &&
           a->sync_lost == b->sync_lost;
}

static int seen_pair(uint64_t (*pairs)[2], size_t n, uint64_t a, uint64_t b)
{
    for (size_t i = 0; i < n; i++)
        if ((pairs[i][0] == a && pairs[i][1] == b) || (pairs[i][0] == b && pairs[i][1] == a))
            return 1;
    return 0;
}

static void thread_of(struct strbuf *sb, uint32_t tid)
{
    if (tid == 1)
        sb_adds(sb, "thread main");
    else if (tid)
        sb_printf(sb, "thread T%u", tid - 1);
    else
        sb_adds(sb, "an untraced thread");
}

/* Memory a pointer in a thread's argument leads to: which thread's, and
 * and by which. */
static void reached_through_arg(struct strbuf *sb, const struct ls_object_rec *o)
{
    sb_adds(sb, ", pointed to by the argument given to ");
    thread_of(sb, o->r.arg_tid);
    sb_adds(sb, " by ");
    thread_of(sb, o->r.tid);
}

/* ThreadSanitizer's "Location is ..." line, the kind, the allocation. */
static void describe_object(struct ctx *c, const struct var *v, struct ls_finding *f)
{
    const struct ls_object_rec *o = v->obj;
    struct strbuf sb;
    sb_init(&sb);
    switch (o->r.kind) {
    case LS_OBJ_HEAP:
        f->var.location = LS_VLOC_HEAP;
        sb_printf(&sb, "heap block of size %llu at 0x%llx",
                  (unsigned long long)(o->r.alloc_size ? o->r.alloc_size : o->r.size),
                  (unsigned long long)o->r.addr);
        if (o->global && !f->var.field && ls_sym_data(c->sym, o->global, NULL, NULL))
            sb_printf(&sb, " pointed to by global '%s'", ls_sym_data(c->sym, o->global, NULL, NULL));
        if (o->r.alloc_stack && o->r.tid) {
            sb_adds(&sb, " allocated by ");
            thread_of(&sb, o->r.tid);
            ls_fstack_build(c->p, o->r.alloc_stack, &f->var.alloc_stack);
        } else if (o->r.via == LS_OBJ_VIA_ARG) {
            sb_adds(&sb, " passed to ");
            thread_of(&sb, o->r.arg_tid);
            sb_adds(&sb, " by ");
            thread_of(&sb, o->r.tid);
        } else if (o->r.via == LS_OBJ_VIA_ARG_PTR) {
            reached_through_arg(&sb, o);
        }
        break;
    case LS_OBJ_STACK:
        f->var.location = LS_VLOC_STACK;
        sb_adds(&sb, "stack of ");
        thread_of(&sb, o->r.tid);
        if (o->r.via == LS_OBJ_VIA_ARG_PTR)
            reached_through_arg(&sb, o);
        break;
    default:
        f->var.location = LS_VLOC_TLS;
        sb_adds(&sb, "TLS of ");
        thread_of(&sb, o->r.tid);
        if (strcmp(v->name, sb.buf + 7) != 0 && strncmp(v->name, "TLS of", 6) != 0)
            sb_printf(&sb, " ('%s')", v->name);
        break;
    }
    f->var.description = sb_detach(&sb);
}

static void add_finding(struct ctx *c, struct var *v, size_t proc, struct ls_report *r,
                        const struct ref *x, const struct ref *y, size_t *added)
{
    struct ls_process *p = c->p;
    const struct ls_access_rec *a = &p->accesses[x->acc];
    struct ls_finding *f = ls_report_add(r);
    f->kind = LS_FIND_RACE;
    f->severity = "error";
    f->proc = proc;
    f->var.name = xstrdup(v->name);
    f->var.addr = v->start;
    f->var.size = v->size;
    /* The write first: it is what makes the pair a race. */
    const struct ref *first = is_write(a) ? x : y;
    build_access(c, f, 0, v, first);
    build_access(c, f, 1, v, first == x ? y : x);
    if (v->obj && v->obj->global)
        f->var.field = ls_sym_pointee_member(c->sym, v->obj->global, first->lo - v->start,
                                             first->hi - first->lo);
    if (v->obj && !f->var.field)
        f->var.field = ls_argtypes_member(c->args, v->obj, first->lo, first->hi);
    if (v->obj)
        describe_object(c, v, f);
    f->summary = ls_fstack_user_frame(&f->access[0].stack);
    f->reason = explain(f);
    ls_finding_set_id(f);
    /* Two sampled pairs at the same lines are one finding. */
    *added += (size_t)ls_report_keep_new_race(r);
}

static size_t check_var(struct ctx *c, struct var *v, size_t proc, struct ls_report *r)
{
    struct ls_process *p = c->p;
    size_t added = 0, npairs = 0, cap = 0;
    uint64_t(*pairs)[2] = NULL;
    size_t n = v->n < MAX_PER_VAR ? v->n : MAX_PER_VAR;
    /* Each access's site and clock, looked up once rather than per pair;
     * those on synchronization words left out. */
    uint64_t *site = xcalloc(n + 1, sizeof *site);
    const struct ls_clock_rec **clock = xcalloc(n + 1, sizeof *clock);
    char *skip = xcalloc(n + 1, 1);
    /* ... and its thread and whether it writes: the pairs' first test
     * reads these arrays, not each access record again */
    uint32_t *tid = xcalloc(n + 1, sizeof *tid);
    char *writes = xcalloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        const struct ls_access_rec *a = &p->accesses[v->refs[i].acc];
        site[i] = site_of(p, a);
        clock[i] = clock_of(c, a);
        skip[i] = (a->flags & LS_ACCESS_ATOMIC) || on_atomic_bytes(c, v, &v->refs[i]);
        tid[i] = a->tid;
        writes[i] = (char)is_write(a);
    }
    for (size_t i = 0; i < n; i++) {
        if (skip[i])
            continue;
        const struct ls_access_rec *a = &p->accesses[v->refs[i].acc];
        for (size_t j = i + 1; j < n; j++) {
            if (skip[j] || tid[i] == tid[j] || (!writes[i] && !writes[j]))
                continue;
            const struct ls_access_rec *b = &p->accesses[v->refs[j].acc];
            if (!overlap(&v->refs[i], a, &v->refs[j], b))
                continue;
            if (before(a, clock[j]) || before(b, clock[i]))
                continue;
            if (c->sync_partial && !sync_known(a, b)) {
                c->unjudged++;
                continue;
            }
            if (seen_pair(pairs, npairs, site[i], site[j]))
                continue;
            LS_GROW(pairs, cap, npairs + 1);
            pairs[npairs][0] = site[i];
            pairs[npairs][1] = site[j];
            npairs++;
            add_finding(c, v, proc, r, &v->refs[i], &v->refs[j], &added);
        }
    }
    free(pairs);
    free(site);
    free(clock);
    free(skip);
    free(tid);
    free(writes);
    return added;
}

/* Races are judged only when every synchronization the program does is
 * known: its _Atomic globals must have been followed.  Where the rate
 * limit set one aside at times, *partial is set: the pairs that time may
 * have ordered are left unjudged (sync_known). */
static const char *unfollowed_atomics(struct ls_process *p, char **names, int *partial)
{
    *partial = 0;
    const struct ls_globals *g = p->exe && *p->exe ? ls_globals_of(p->exe) : NULL;
    *names = g ? ls_globals_atomic_names(g) : NULL;
    if (!*names || !**names)
        return NULL;
    size_t count = 1;
    for (const char *c = *names; *c; c++)
        count += *c == ',';
    if ((p->watch_sync & 0xffff) < count)
        return "it synchronizes through more _Atomic globals than lockscope can follow at "
               "once";
    *partial = (p->watch_sync & LS_WATCH_SYNC_INCOMPLETE) != 0;
    return NULL;
}

/* A stable name for a watched object's memory (the finding's id and the
 * suppressions use it): a TLS variable's, else the kind of memory. */
static char *object_name(struct ctx *c, const struct ls_object_rec *o)
{
    struct strbuf sb;
    sb_init(&sb);
    const struct ls_gvar *tv;
    if (o->r.kind == LS_OBJ_HEAP)
        sb_adds(&sb, "heap block"); /* its size is in the description: it can be the
                                       usable size or the size asked for */
    else if (o->r.kind == LS_OBJ_TLS && c->globals &&
             (tv = ls_globals_tls_at(c->globals, o->r.addr - o->r.via_addr)) && *tv->name)
        sb_adds(&sb, tv->name);
    else if (o->r.kind == LS_OBJ_TLS)
        sb_adds(&sb, "TLS of "), thread_of(&sb, o->r.tid);
    else
        sb_adds(&sb, "stack of "), thread_of(&sb, o->r.tid);
    return sb_detach(&sb);
}

static struct var *var_at(struct ctx *c, uint64_t addr, uint32_t objid, uint64_t *end)
{
    const struct ls_object_rec *o = objid ? ls_find_object(c->p, objid) : NULL;
    if (o && o->r.kind != LS_OBJ_GLOBAL) {
        struct var_key k = {o->r.addr, objid, 0};
        *end = o->r.addr + o->r.size;
        struct var *v;
        HASH_FIND(hh, c->vars, &k, sizeof k, v);
        if (!v) {
            v = xcalloc(1, sizeof *v);
            v->key = k;
            v->start = o->r.addr;
            v->obj = o;
            v->own_name = object_name(c, o);
            v->name = v->own_name;
            v->size = o->r.size;
            HASH_ADD(hh, c->vars, key, sizeof v->key, v);
        }
        return v;
    }
    uint64_t off = 0, size = 0;
    const char *name = ls_sym_data(c->sym, addr, &off, &size);
    uint64_t start = name ? addr - off : addr;
    *end = name ? start + size : UINT64_MAX;
    struct var_key k = {start, 0, 0};
    struct var *v;
    HASH_FIND(hh, c->vars, &k, sizeof k, v);
    if (!v) {
        v = xcalloc(1, sizeof *v);
        v->key = k;
        v->start = start;
        v->name = name ? name : "<unnamed global>";
        v->size = size;
        v->atomic = name && ls_sym_data_atomic(c->sym, addr);
        HASH_ADD(hh, c->vars, key, sizeof v->key, v);
    }
    return v;
}

/* Each access goes to every variable whose bytes it touched (a vector
 * store may span two). */
static void add_access(struct ctx *c, size_t i)
{
    const struct ls_access_rec *a = &c->p->accesses[i];
    uint64_t addr = a->addr, end = a->addr + (a->size ? a->size : 1);
    const struct ls_object_rec *o = a->obj ? ls_find_object(c->p, a->obj) : NULL;
    if (a->obj && !o)
        return; /* an object the trace does not describe: not judged */
    if (o && o->r.kind != LS_OBJ_GLOBAL) {
        /* Only its bytes in the object: the object is all this access is
         * known to have touched as that object. */
        uint64_t vend;
        struct var *v = var_at(c, addr, a->obj, &vend);
        uint64_t lo = addr > v->start ? addr : v->start, hi = end < vend ? end : vend;
        if (lo >= hi)
            return;
        struct ref rf = {i, lo, hi};
        if (a->flags & LS_ACCESS_ATOMIC) {
            LS_GROW(v->atomics, v->cap_atomics, v->natomics + 1);
            v->atomics[v->natomics++] = rf;
        }
        LS_GROW(v->refs, v->cap, v->n + 1);
        v->refs[v->n++] = rf;
        return;
    }
    for (int parts = 0; addr < end && parts < 64; parts++) {
        uint64_t vend;
        struct var *v = var_at(c, addr, 0, &vend);
        uint64_t hi = vend < end ? vend : end;
        struct ref rf = {i, addr, hi};
        if (a->flags & LS_ACCESS_ATOMIC) {
            LS_GROW(v->atomics, v->cap_atomics, v->natomics + 1);
            v->atomics[v->natomics++] = rf;
        }
        LS_GROW(v->refs, v->cap, v->n + 1);
        v->refs[v->n++] = rf;
        addr = hi;
    }
}

static void find_exe(struct ctx *c)
{
    struct ls_process *p = c->p;
    c->globals = p->exe && *p->exe ? ls_globals_of(p->exe) : NULL;
    for (size_t i = 0; c->globals && i < p->nmodules; i++)
        if (p->modules[i].path && !strcmp(p->modules[i].path, p->exe)) {
            c->exe_lo = p->modules[i].start;
            c->exe_hi = p->modules[i].end;
            c->exe_bias = p->modules[i].bias;
            return;
        }
    c->globals = NULL;
}

static void sampled(struct ctx *c, struct ls_fprocess *fp)
{
    struct var *v, *tv;
    fp->sampled = xcalloc(HASH_COUNT(c->vars) + 1, sizeof *fp->sampled);
    HASH_ITER(hh, c->vars, v, tv) {
        struct ls_fsampled *sv = &fp->sampled[fp->nsampled++];
        sv->name = xstrdup(v->name);
        sv->atomic = v->atomic;
        for (size_t i = 0; i < v->n; i++) {
            const struct ls_access_rec *a = &c->p->accesses[v->refs[i].acc];
            if (a->flags & LS_ACCESS_ATOMIC)
                sv->atomic_accesses++;
            else if (is_write(a))
                sv->writes++;
            else
                sv->reads++;
            sv->inexact += inexact(a);
        }
    }
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

/* set_aside: the _Atomic globals the rate limit set aside at times (NULL:
 * none); unjudged: the unordered access pairs left unjudged for that. */
static void scope_sampled(const struct ls_process *p, struct ls_fprocess *fp,
                          const char *set_aside, size_t unjudged)
{
    const char *lost = lost_accesses(p);
    size_t vars = 0;
    for (size_t i = 0; i < fp->nsampled; i++)
        vars += !fp->sampled[i].atomic;
    if (p->nthreads <= 1 && p->naccesses == 0) {
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_CHECKED,
                     "the process ran one thread: nothing could race");
    } else if (p->naccesses && !p->watch_classify) {
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_NOT_CHECKED,
                     "not judged: %zu access%s sampled, but the instructions that made them "
                     "were not decoded (LOCKSCOPE_OPTIONS=watch_decode=0, or the decoder "
                     "could not be loaded)",
                     p->naccesses, p->naccesses == 1 ? "" : "es");
    } else if (lost || (set_aside && unjudged)) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%zu access%s sampled on %zu global variables", p->naccesses,
                  p->naccesses == 1 ? "" : "es", vars);
        if (lost)
            sb_printf(&sb, ", but some were not recorded (%s)", lost);
        if (set_aside && unjudged)
            sb_printf(&sb, "; %zu unordered pair%s of them not judged: the rate limit set a hot "
                           "_Atomic global (of %s) aside while they were made or between them, "
                           "and what it ordered then is not known",
                      unjudged, unjudged == 1 ? "" : "s", set_aside);
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_PARTIAL, "%s", sb.buf);
        sb_free(&sb);
    } else if (set_aside) {
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_CHECKED,
                     "%zu access%s sampled on %zu of %u global variables that could be "
                     "watched (besides the globals, what threads are handed and sampled heap "
                     "blocks are watched; each only part of the time); the rate limit set a "
                     "hot _Atomic global (of %s) aside at times, and no unordered pair of "
                     "accesses depended on it",
                     p->naccesses, p->naccesses == 1 ? "" : "es", vars, p->watch_candidates,
                     set_aside);
    } else {
        ls_scope_set(fp, "data-race", RACE_TITLE, LS_SCOPE_CHECKED,
                     "%zu access%s sampled on %zu of %u global variables that could be "
                     "watched (besides the globals, what threads are handed and sampled heap "
                     "blocks are watched; each only part of the time)",
                     p->naccesses, p->naccesses == 1 ? "" : "es", vars, p->watch_candidates);
    }
}

size_t ls_check_races(struct ls_process *p, size_t proc, struct ls_report *r,
                      const struct ls_progress *pg)
{
    struct ls_fprocess *fp = &r->procs[proc];
    if ((p->watch_status == 0 || p->watch_status == LS_WATCH_ON) && p->nthreads <= 1 &&
        p->naccesses == 0) {
        /* A forked child that did not start a thread (often one that only
         * exec'd): its trace has no watch record, and nothing to judge; nor
         * has a process that ran one thread (its program's globals are not
         * read: a suite of shell utilities does not pay for decoding them). */
        scope_sampled(p, fp, NULL, 0);
        return 0;
    }
    if (p->watch_status != LS_WATCH_ON) {
        scope_unwatched(p, fp);
        return 0;
    }
    char *atomics = NULL;
    int partial = 0;
    const char *why = unfollowed_atomics(p, &atomics, &partial);
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
    if (p->naccesses == 0) {
        scope_sampled(p, fp, partial ? atomics : NULL, 0);
        free(atomics);
        return 0;
    }
    struct ctx c = {p, NULL, NULL, ls_process_symbolizer(p), NULL, NULL, 0, 0, 0, partial, 0};
    c.args = ls_argtypes_new(p, c.sym);
    find_exe(&c);
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
    for (size_t i = 0; i < p->naccesses; i++) {
        const struct ls_access_rec *a = &p->accesses[i];
        /* Not judged: without a clock, or not decoded (read or write unknown). */
        if (a->clock_version == 0 || (a->flags & LS_ACCESS_KIND_UNKNOWN) ||
            !(a->flags & (LS_ACCESS_READ | LS_ACCESS_WRITE)))
            continue;
        add_access(&c, i);
    }
    size_t added = 0;
    sampled(&c, fp);
    size_t nvars = HASH_COUNT(c.vars), done = 0;
    struct var *v, *tv;
    HASH_ITER(hh, c.vars, v, tv) {
        ls_progress(pg, LS_STAGE_RACES, done++, nvars);
        if (!v->atomic)
            added += check_var(&c, v, proc, r);
        HASH_DEL(c.vars, v);
        free(v->own_name);
        free(v->refs);
        free(v->atomics);
        free(v);
    }
    struct clock_entry *e, *te;
    HASH_ITER(hh, c.clocks, e, te) {
        HASH_DEL(c.clocks, e);
        free(e);
    }
    ls_argtypes_free(c.args);
    scope_sampled(p, fp, partial ? atomics : NULL, c.unjudged);
    free(atomics);
    return added;
}
