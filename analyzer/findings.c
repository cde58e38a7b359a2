#define _GNU_SOURCE
#include "findings.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ls_finding_kind_name(enum ls_finding_kind k)
{
    switch (k) {
    case LS_FIND_LOCK_ORDER: return "lock-order-cycle";
    case LS_FIND_DEADLOCK: return "deadlock";
    case LS_FIND_STALL: return "stall";
    case LS_FIND_MISUSE: return "misuse";
    case LS_FIND_RACE: return "data-race";
    case LS_FIND_LOCK_ORDER_LATENT: return "lock-order-latent";
    }
    return "unknown";
}

int ls_kind_fails_by_default(const char *kind_name)
{
    return strcmp(kind_name, ls_finding_kind_name(LS_FIND_LOCK_ORDER_LATENT)) != 0;
}

const char *ls_var_location_name(uint32_t location)
{
    switch (location) {
    case LS_VLOC_HEAP: return "heap";
    case LS_VLOC_STACK: return "stack";
    case LS_VLOC_TLS: return "tls";
    case LS_VLOC_SYNC: return "sync";
    case LS_VLOC_PYTHON: return "python-global";
    default: return "global";
    }
}

const char *ls_finding_title(enum ls_finding_kind k)
{
    switch (k) {
    case LS_FIND_LOCK_ORDER: return "lock-order-inversion (potential deadlock)";
    case LS_FIND_DEADLOCK: return "deadlock (threads waiting for each other)";
    case LS_FIND_STALL: return "stall (every thread blocked, none can wake the others)";
    case LS_FIND_MISUSE: return "pthread API misuse";
    case LS_FIND_RACE: return "data race";
    case LS_FIND_LOCK_ORDER_LATENT:
        return "latent lock-order inversion (deadlocks when two threads take these orders at once)";
    }
    return "unknown";
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void ls_fstack_build(struct ls_process *p, uint32_t stack_id, struct ls_fstack *out)
{
    out->n = 0;
    out->frames = NULL;
    const struct ls_stack *s = ls_find_stack(p, stack_id);
    if (!s)
        return;
    struct ls_symbolizer *sym = ls_process_symbolizer(p);
    size_t cap = 0;
    /* A Python stack: its Python frames first, as a traceback shows them
     * (innermost first), then the interpreter's native frames, folded. */
    const struct ls_pystack *py = ls_py_stack(p, stack_id);
    for (uint32_t i = 0; py && i < py->n; i++) {
        const struct ls_pycode *c = ls_py_code(p, py->f[i].code);
        LS_GROW(out->frames, cap, out->n + 1);
        struct ls_fframe *f = &out->frames[out->n++];
        memset(f, 0, sizeof *f);
        f->function = xstrdup(c && c->name[0] ? c->name : "??");
        f->file = c && c->file[0] ? xstrdup(c->file) : NULL;
        f->line = py->f[i].line;
        f->python = 1;
    }
    for (uint32_t i = 0; i < s->depth; i++) {
        struct ls_frame fr[16];
        int n = ls_sym_code(sym, s->ips[i], fr, 16);
        for (int j = 0; j < n; j++) {
            LS_GROW(out->frames, cap, out->n + 1);
            struct ls_fframe *f = &out->frames[out->n++];
            f->function = dup_or_null(fr[j].function);
            f->file = dup_or_null(fr[j].file);
            f->line = fr[j].line;
            f->column = fr[j].column;
            f->module = dup_or_null(fr[j].module);
            f->pc = fr[j].pc;
            f->module_offset = fr[j].module_offset;
            f->inlined = fr[j].inlined;
            f->func_size = fr[j].func_size;
            f->python = 0;
            f->collapsed = py != NULL;
        }
        /* Below the thread's entry there is nothing of the program's. */
        if (n > 0 && fr[n - 1].function &&
            (strcmp(fr[n - 1].function, "start_thread") == 0 ||
             strcmp(fr[n - 1].function, "__libc_start_call_main") == 0))
            break;
    }
}

static int is_system_path(const char *m)
{
    return !m || strncmp(m, "/lib/", 5) == 0 || strncmp(m, "/lib64/", 7) == 0 ||
           strncmp(m, "/usr/lib/", 9) == 0 || strncmp(m, "/usr/lib64/", 11) == 0;
}

int ls_fframe_is_user(const struct ls_fframe *f)
{
    if (f->python)
        return !ls_py_system_file(f->file);
    return !f->collapsed && !is_system_path(f->module) && f->file;
}

const struct ls_fframe *ls_fstack_user_frame(const struct ls_fstack *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (ls_fframe_is_user(&s->frames[i]))
            return &s->frames[i];
    return s->n ? &s->frames[0] : NULL;
}

static int thin(const struct ls_fframe *f)
{
    return !f->inlined && f->func_size > 0 && f->func_size <= LS_THIN_WRAPPER_BYTES;
}

const struct ls_fframe *ls_fstack_site(const struct ls_fstack *s, size_t *first, size_t *site)
{
    size_t u = 0;
    while (u < s->n && !ls_fframe_is_user(&s->frames[u]))
        u++;
    if (first)
        *first = u;
    if (u == s->n) {
        if (site)
            *site = s->n;
        return ls_fstack_user_frame(s);
    }
    size_t k = u;
    while (k + 1 < s->n && thin(&s->frames[k]) && ls_fframe_is_user(&s->frames[k + 1]))
        k++;
    if (site)
        *site = k;
    return &s->frames[k];
}

int ls_fstack_is_main(const struct ls_fstack *s, size_t i)
{
    if (i >= s->n)
        return 0;
    if (s->frames[i].function && !strcmp(s->frames[i].function, "main"))
        return 1;
    int below_main = 0;
    for (size_t j = i + 1; j < s->n; j++) {
        const char *fn = s->frames[j].function;
        if (ls_fframe_is_user(&s->frames[j]))
            return 0;
        below_main |= fn && (!strcmp(fn, "__libc_start_call_main") ||
                             !strcmp(fn, "__libc_start_main") || !strcmp(fn, "_start"));
    }
    return below_main;
}

void ls_fthread_build(struct ls_process *p, uint32_t tid, struct ls_fthread *out)
{
    memset(out, 0, sizeof *out);
    out->tid = tid;
    const struct ls_thread_info *t = ls_find_thread(p, tid);
    if (!t)
        return;
    out->os_tid = t->os_tid;
    out->name = dup_or_null(t->name);
    out->parent = t->parent;
    ls_fstack_build(p, t->create_stack, &out->created_at);
}

static void describe_site(struct strbuf *sb, const struct ls_fstack *s)
{
    const struct ls_fframe *f = ls_fstack_user_frame(s);
    if (!f) {
        sb_adds(sb, "an unknown place");
        return;
    }
    sb_adds(sb, f->function ? f->function : "??");
    if (f->file)
        sb_printf(sb, " (%s:%d)", ls_basename(f->file), f->line);
}

void ls_flock_build(struct ls_process *p, uint32_t lock_id, struct ls_flock *out)
{
    memset(out, 0, sizeof *out);
    out->id = lock_id;
    const struct ls_lock_info *l = ls_find_lock(p, lock_id);
    struct strbuf sb;
    sb_init(&sb);
    if (!l) {
        out->kind = "lock";
        sb_printf(&sb, "lock #%u", lock_id);
        out->label = sb_detach(&sb);
        return;
    }
    out->kind = ls_lock_kind_name(l->kind);
    out->addr = l->addr;
    const char *pyname = ls_py_lock_name(p, lock_id);
    out->name = pyname ? xstrdup(pyname) : ls_lock_symbol(p, l);
    out->site_is_init = l->init_stack != 0;
    ls_fstack_build(p, l->init_stack ? l->init_stack : l->first_stack, &out->site);
    if (out->name) {
        out->label = xstrdup(out->name);
        return;
    }
    sb_printf(&sb, "%s %s at ", out->kind, out->site_is_init ? "initialized" : "first locked");
    describe_site(&sb, &out->site);
    out->label = sb_detach(&sb);
}

/* "the main thread", "T1", ... */
void ls_thread_label(struct strbuf *sb, uint32_t tid)
{
    if (tid == 1)
        sb_adds(sb, "the main thread");
    else if (tid)
        sb_printf(sb, "T%u", tid - 1);
    else
        sb_adds(sb, "an untraced thread");
}

void ls_describe_wait(struct strbuf *sb, const struct ls_finding *f, const struct ls_fwaiter *w)
{
    const char *lock = w->lock != SIZE_MAX ? f->locks[w->lock].label : "a lock";
    if (!strcmp(w->wait, "join")) {
        sb_adds(sb, " waits to join ");
        ls_thread_label(sb, w->waits_on);
    } else if (!strcmp(w->wait, "condvar")) {
        sb_printf(sb, " waits on a condition variable (with %s)", lock);
    } else if (!strcmp(w->wait, "semaphore")) {
        sb_adds(sb, " waits on a semaphore");
    } else if (!strcmp(w->wait, "barrier")) {
        sb_adds(sb, " waits at a barrier");
    } else if (!strcmp(w->wait, "exited")) {
        sb_adds(sb, " has exited without releasing ");
        for (size_t j = 0; j < w->nheld; j++)
            sb_printf(sb, "%s%s", j ? (j + 1 == w->nheld ? " and " : ", ") : "",
                      f->locks[w->held[j].lock].label);
        if (!w->nheld)
            sb_adds(sb, "its locks");
    } else {
        /* A reader that waits for a thread which does not hold the lock but
         * waits to write it: queued behind that writer (writer preference). */
        const struct ls_fwaiter *o = NULL;
        for (size_t i = 0; i < f->nwaiters && !o; i++)
            if (f->waiters[i].thread.tid == w->waits_on && &f->waiters[i] != w)
                o = &f->waiters[i];
        int behind = o && !strcmp(w->wait, "read-lock") && o->wait && !strcmp(o->wait, "lock") &&
                     o->lock == w->lock && w->lock != SIZE_MAX;
        for (size_t j = 0; behind && j < o->nheld; j++)
            behind = o->held[j].lock != w->lock;
        sb_printf(sb, " waits %sfor %s", !strcmp(w->wait, "read-lock") ? "to read " : "", lock);
        if (behind) {
            sb_adds(sb, ", queued behind ");
            ls_thread_label(sb, w->waits_on);
            sb_adds(sb, "'s write request (the lock prefers writers)");
        } else if (w->waits_on) {
            sb_adds(sb, ", held by ");
            ls_thread_label(sb, w->waits_on);
        }
    }
}

size_t ls_finding_lock(struct ls_finding *f, struct ls_process *p, uint32_t lock_id)
{
    for (size_t i = 0; i < f->nlocks; i++)
        if (f->locks[i].id == lock_id)
            return i;
    f->locks = xrealloc(f->locks, (f->nlocks + 1) * sizeof *f->locks);
    ls_flock_build(p, lock_id, &f->locks[f->nlocks]);
    return f->nlocks++;
}

size_t ls_report_add_process(struct ls_report *r, const struct ls_process *p)
{
    LS_GROW(r->procs, r->cap_procs, r->nprocs + 1);
    struct ls_fprocess *fp = &r->procs[r->nprocs];
    memset(fp, 0, sizeof *fp);
    fp->pid = p->pid;
    fp->ppid = p->ppid;
    fp->exe = xstrdup(p->exe ? p->exe : "");
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < p->argc; i++)
        sb_printf(&sb, "%s%s", i ? " " : "", p->argv[i]);
    fp->cmdline = sb_detach(&sb);
    fp->trace = xstrdup(p->trace_path ? p->trace_path : "");
    fp->ended = p->ended;
    fp->nthreads = p->nthreads;
    fp->nlocks = p->nlocks;
    fp->nedges = p->nedges;
    fp->watch_status = p->watch_status;
    fp->watch_msg = p->watch_msg ? xstrdup(p->watch_msg) : NULL;
    fp->accesses = p->naccesses;
    fp->watch_candidates = p->watch_candidates;
    fp->watch_slots = p->watch_slots;
    fp->wcount = p->wcount;
    return r->nprocs++;
}

void ls_scope_set(struct ls_fprocess *p, const char *check, const char *title,
                  enum ls_scope_state state, const char *fmt, ...)
{
    struct ls_fscope *e = NULL;
    for (size_t i = 0; i < p->nscope && !e; i++)
        if (!strcmp(p->scope[i].check, check))
            e = &p->scope[i];
    if (!e) {
        p->scope = xrealloc(p->scope, (p->nscope + 1) * sizeof *p->scope);
        e = &p->scope[p->nscope++];
    } else {
        free(e->detail);
    }
    va_list ap;
    va_start(ap, fmt);
    char *detail = NULL;
    if (vasprintf(&detail, fmt, ap) < 0)
        die("out of memory");
    va_end(ap);
    *e = (struct ls_fscope){check, title, state, detail};
}

const char *ls_scope_state_name(enum ls_scope_state state)
{
    switch (state) {
    case LS_SCOPE_CHECKED: return "checked";
    case LS_SCOPE_PARTIAL: return "partial";
    case LS_SCOPE_NOT_CHECKED: return "not-checked";
    }
    return "unknown";
}

struct ls_finding *ls_report_add(struct ls_report *r)
{
    LS_GROW(r->findings, r->cap_findings, r->nfindings + 1);
    struct ls_finding *f = &r->findings[r->nfindings++];
    memset(f, 0, sizeof *f);
    return f;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    h = ls_fnv1a(h, s ? s : "", s ? strlen(s) + 1 : 1);
    return h;
}

static uint64_t hash_frame(uint64_t h, const struct ls_fframe *f)
{
    if (!f)
        return hash_str(h, "");
    char line[32];
    snprintf(line, sizeof line, "%d", f->line);
    h = hash_str(h, f->function);
    h = hash_str(h, f->file ? ls_basename(f->file) : NULL);
    return hash_str(h, line);
}

/* The frames that make the stack's site: its first frame in the program's
 * own code, and the callers of the thin wrappers down to the first that is
 * not one (ls_fstack_site), so that two calls through one wrapper from
 * different callers are two sites. */
static uint64_t hash_site(uint64_t h, const struct ls_fstack *s)
{
    size_t first, site;
    const struct ls_fframe *f = ls_fstack_site(s, &first, &site);
    if (first >= s->n)
        return hash_frame(h, f);
    for (size_t i = first; i <= site; i++)
        h = hash_frame(h, &s->frames[i]);
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Independent of addresses, pids, thread ids and of where the cycle
 * happens to start: a sorted combination of per-edge hashes.  Every part
 * hashes the finding's own symbolized sites (function, file, line), never
 * the kind or rule alone. */
void ls_finding_set_id(struct ls_finding *f)
{
    uint64_t parts[64];
    size_t n = 0;
    for (size_t i = 0; i < f->nwaiters && n < 64; i++) {
        const struct ls_fwaiter *w = &f->waiters[i];
        uint64_t h = LS_FNV_INIT;
        h = hash_str(h, w->wait);
        h = hash_str(h, w->lock != SIZE_MAX ? f->locks[w->lock].label : NULL);
        h = hash_site(h, &w->wait_stack);
        parts[n++] = h;
    }
    if (f->kind == LS_FIND_RACE) {
        uint64_t h = hash_str(LS_FNV_INIT, f->var.name);
        for (int i = 0; i < 2; i++)
            parts[n++] = hash_site(hash_str(h, f->access[i].write ? "w" : "r"),
                                   &f->access[i].stack);
    }
    if (f->rule) {
        /* The call, the lock, and where the lock was taken: a thread that
         * ends holding a lock ends in no code of the program's, so its
         * lock and the lock's stack are what tell two such findings apart. */
        uint64_t h = hash_site(hash_str(LS_FNV_INIT, f->rule), &f->stack);
        for (size_t i = 0; i < f->nlocks; i++)
            h = hash_str(h, f->locks[i].label);
        if (f->stack2.n)
            h = hash_site(hash_str(h, "other"), &f->stack2);
        parts[n++] = h;
    }
    for (size_t i = 0; i < f->nedges && n < 64; i++) {
        const struct ls_fedge *e = &f->edges[i];
        uint64_t h = LS_FNV_INIT;
        h = hash_str(h, f->locks[e->from].label);
        h = hash_str(h, f->locks[e->to].label);
        /* The first frame only: which instance of an edge a cycle shows
         * can change from run to run, the cycle's id must not. */
        h = hash_frame(h, ls_fstack_user_frame(&e->from_stack));
        h = hash_frame(h, ls_fstack_user_frame(&e->to_stack));
        parts[n++] = h;
    }
    qsort(parts, n, sizeof parts[0], cmp_u64);
    uint64_t h = hash_str(LS_FNV_INIT, ls_finding_kind_name(f->kind));
    h = ls_fnv1a(h, parts, n * sizeof parts[0]);
    snprintf(f->id, sizeof f->id, "LS-%016llx", (unsigned long long)h);
}

static void free_stack(struct ls_fstack *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->frames[i].function);
        free(s->frames[i].file);
        free(s->frames[i].module);
    }
    free(s->frames);
}

void ls_fprofile_free(struct ls_fprofile *q)
{
    free(q->lock.name);
    free(q->lock.label);
    free_stack(&q->lock.site);
    for (size_t j = 0; j < q->nsites; j++)
        free_stack(&q->sites[j].stack);
    free(q->sites);
}

static void free_finding(struct ls_finding *f)
{
    for (size_t j = 0; j < f->nlocks; j++) {
        free(f->locks[j].name);
        free(f->locks[j].label);
        free_stack(&f->locks[j].site);
    }
    for (size_t j = 0; j < f->nedges; j++) {
        free(f->edges[j].thread.name);
        free_stack(&f->edges[j].thread.created_at);
        free_stack(&f->edges[j].from_stack);
        free_stack(&f->edges[j].to_stack);
    }
    for (size_t j = 0; j < f->nwaiters; j++) {
        struct ls_fwaiter *w = &f->waiters[j];
        free(w->thread.name);
        free_stack(&w->thread.created_at);
        free_stack(&w->wait_stack);
        for (size_t k = 0; k < w->nheld; k++)
            free_stack(&w->held[k].stack);
        free(w->held);
    }
    free(f->waiters);
    free(f->thread.name);
    free_stack(&f->thread.created_at);
    free_stack(&f->stack);
    free_stack(&f->stack2);
    free(f->other.name);
    free_stack(&f->other.created_at);
    free(f->var.name);
    free(f->var.module);
    free(f->var.description);
    free(f->var.field);
    free_stack(&f->var.alloc_stack);
    for (int i = 0; i < 2; i++) {
        free(f->access[i].thread.name);
        free_stack(&f->access[i].thread.created_at);
        free_stack(&f->access[i].stack);
        free(f->access[i].held);
        free(f->access[i].where);
    }
    free(f->locks);
    free(f->edges);
    free(f->reason);
    free(f->seen);
}

static void add_seen(struct ls_finding *f, size_t proc)
{
    for (size_t i = 0; i < f->nseen; i++)
        if (f->seen[i].proc == proc) {
            f->seen[i].count++;
            return;
        }
    f->seen = xrealloc(f->seen, (f->nseen + 1) * sizeof *f->seen);
    f->seen[f->nseen++] = (struct ls_fseen){proc, 1};
}

void ls_report_merge_seen(struct ls_report *r, size_t first)
{
    size_t out = first;
    for (size_t i = first; i < r->nfindings; i++) {
        struct ls_finding *f = &r->findings[i];
        struct ls_finding *earlier = NULL;
        for (size_t j = 0; j < out && !earlier; j++)
            if (r->findings[j].kind == f->kind && !strcmp(r->findings[j].id, f->id))
                earlier = &r->findings[j];
        if (earlier) {
            add_seen(earlier, f->proc);
            free_finding(f);
            continue;
        }
        add_seen(f, f->proc);
        if (out != i)
            r->findings[out] = *f;
        out++;
    }
    r->nfindings = out;
}

void ls_report_pop(struct ls_report *r)
{
    if (r->nfindings == 0)
        BUG("ls_report_pop on an empty report");
    free_finding(&r->findings[--r->nfindings]);
}

int ls_report_keep_new_race(struct ls_report *r)
{
    const struct ls_finding *f = &r->findings[r->nfindings - 1];
    for (size_t k = 0; k + 1 < r->nfindings; k++)
        if (r->findings[k].kind == LS_FIND_RACE && r->findings[k].proc == f->proc &&
            !strcmp(r->findings[k].id, f->id)) {
            ls_report_pop(r);
            return 0;
        }
    return 1;
}

void ls_report_free(struct ls_report *r)
{
    for (size_t i = 0; i < r->nfindings; i++)
        free_finding(&r->findings[i]);
    for (size_t i = 0; i < r->nprocs; i++) {
        free(r->procs[i].exe);
        free(r->procs[i].cmdline);
        free(r->procs[i].trace);
        free(r->procs[i].watch_msg);
        ls_ftimeline_free(r->procs[i].timeline);
        for (size_t j = 0; j < r->procs[i].nsampled; j++)
            free(r->procs[i].sampled[j].name);
        free(r->procs[i].sampled);
        for (size_t j = 0; j < r->procs[i].norder; j++) {
            free(r->procs[i].order[j].from);
            free(r->procs[i].order[j].to);
        }
        free(r->procs[i].order);
        for (size_t j = 0; j < r->procs[i].nscope; j++)
            free(r->procs[i].scope[j].detail);
        free(r->procs[i].scope);
    }
    for (size_t i = 0; i < r->nprofiles; i++)
        ls_fprofile_free(&r->profiles[i]);
    free(r->profiles);
    free(r->findings);
    free(r->procs);
    memset(r, 0, sizeof *r);
}
