/*
 * The timeline as trace-event JSON (the "JSON Object Format" of Chrome's
 * Trace Event Format, which chrome://tracing and the Perfetto UI open):
 *
 *   {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}
 *
 * One process per traced process (pid), one track per thread (tid: the
 * thread's lockscope id), named by "M" metadata events.  Lock holds and
 * blocking waits are "B"/"E" pairs; findings are thread-scoped instant
 * events ("i", "s": "t") at their moment on each thread involved.  Times
 * ("ts") are microseconds since the earliest event of the report, on the
 * wall clock (each process's monotonic times shifted by its own
 * CLOCK_MONOTONIC/CLOCK_REALTIME pair), so that processes line up.
 *
 * B/E pairs must nest on a track, but holds need not (lock A, lock B,
 * unlock A): a slice that ends under others ends them first and begins
 * them again at the same time ("args": {"continued": true}).
 */
#define _GNU_SOURCE
#include "escape.h"
#include "reports.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#ifndef LS_VERSION
#define LS_VERSION "0"
#endif

struct tw {
    FILE *out;
    int n;                    /* events written */
    uint64_t origin;          /* wall-clock ns of ts 0 */
};

static uint64_t wall(const struct ls_ftimeline *tl, uint64_t mono)
{
    return mono - tl->mono_ns + tl->real_ns;
}

static void ts(struct tw *w, const struct ls_ftimeline *tl, uint64_t mono)
{
    uint64_t at = wall(tl, mono);
    uint64_t d = at > w->origin ? at - w->origin : 0;
    fprintf(w->out, "\"ts\":%" PRIu64 ".%03u", d / 1000, (unsigned)(d % 1000));
}

static void begin_event(struct tw *w, const char *ph, uint32_t pid, uint32_t tid)
{
    fprintf(w->out, "%s\n{\"ph\":\"%s\",\"pid\":%u,\"tid\":%u", w->n++ ? "," : "", ph, pid,
            tid);
}

static void slice_name(struct strbuf *sb, const struct ls_fslice *s)
{
    const char *obj = s->object ? s->object : "?";
    if (!s->wait)
        sb_printf(sb, "%s%s", !strcmp(s->what, "read hold") ? "read " : "", obj);
    else
        sb_printf(sb, "wait %s %s", s->what, obj);
}

static void slice_event(struct tw *w, uint32_t pid, const struct ls_ftimeline *tl,
                        const struct ls_ftrack *tk, const struct ls_fslice *s, int end,
                        int continued)
{
    struct strbuf sb;
    sb_init(&sb);
    slice_name(&sb, s);
    begin_event(w, end ? "E" : "B", pid, tk->tid);
    fputc(',', w->out);
    ts(w, tl, end ? s->end_ns : s->begin_ns);
    fputs(",\"name\":", w->out);
    ls_esc_json(w->out, sb.buf);
    fprintf(w->out, ",\"cat\":\"%s\"", s->wait ? "wait" : "hold");
    if (!end) {
        fputs(",\"args\":{\"what\":", w->out);
        ls_esc_json(w->out, s->what);
        fputs(",\"object\":", w->out);
        ls_esc_json(w->out, s->object);
        fprintf(w->out, ",\"id\":%u", s->id);
        if (s->open_begin)
            fputs(",\"began_before_record\":true", w->out);
        if (s->open_end)
            fputs(",\"open_at_end\":true", w->out);
        if (continued)
            fputs(",\"continued\":true", w->out);
        fputc('}', w->out);
    }
    fputc('}', w->out);
    sb_free(&sb);
}

/* An instant: a finding's moment on one thread. */
struct instant {
    uint64_t ns;
    size_t finding;
    const char *role;         /* "waits", "access", "takes" */
};

struct point {
    uint64_t ns;
    int type;                 /* 0 end, 1 begin, 2 end of an empty slice, 3 instant */
    size_t i;
};

static int point_cmp(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    if (x->ns != y->ns)
        return x->ns < y->ns ? -1 : 1;
    if (x->type != y->type)
        return x->type - y->type;
    /* begins: the enclosing (listed first, by_begin) first; ends: inner first */
    if (x->type == 1)
        return x->i < y->i ? -1 : x->i > y->i;
    return x->i > y->i ? -1 : x->i < y->i;
}

static void instant_event(struct tw *w, uint32_t pid, const struct ls_ftimeline *tl,
                          uint32_t tid, const struct ls_report *r, const struct instant *in)
{
    const struct ls_finding *f = &r->findings[in->finding];
    begin_event(w, "i", pid, tid);
    fputs(",\"s\":\"t\",", w->out);
    ts(w, tl, in->ns);
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s %s", ls_finding_kind_name(f->kind), f->id);
    fputs(",\"name\":", w->out);
    ls_esc_json(w->out, sb.buf);
    fputs(",\"cat\":\"finding\",\"args\":{\"kind\":", w->out);
    ls_esc_json(w->out, ls_finding_kind_name(f->kind));
    fputs(",\"id\":", w->out);
    ls_esc_json(w->out, f->id);
    fputs(",\"title\":", w->out);
    ls_esc_json(w->out, ls_finding_title(f->kind));
    fputs(",\"this_thread\":", w->out);
    ls_esc_json(w->out, in->role);
    if (f->kind == LS_FIND_RACE) {
        fputs(",\"variable\":", w->out);
        ls_esc_json(w->out, f->var.name);
    }
    fputs(",\"locks\":[", w->out);
    for (size_t k = 0; k < f->nlocks; k++) {
        if (k)
            fputc(',', w->out);
        ls_esc_json(w->out, f->locks[k].label);
    }
    fputs("]}}", w->out);
    sb_free(&sb);
}

/* The moments of the findings on thread tid of process proc. */
static size_t instants_of(const struct ls_report *r, size_t proc, uint32_t tid,
                          struct instant **out)
{
    struct instant *v = NULL;
    size_t n = 0, cap = 0;
#define ADD(at, role)                                                                  \
    do {                                                                               \
        if (at) {                                                                      \
            LS_GROW(v, cap, n + 1);                                                    \
            v[n++] = (struct instant){(at), i, (role)};                                \
        }                                                                              \
    } while (0)
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct ls_finding *f = &r->findings[i];
        if (f->proc != proc)
            continue;
        for (size_t k = 0; k < f->nwaiters; k++)
            if (f->waiters[k].thread.tid == tid)
                ADD(f->at_ns, "waits");
        if (f->kind == LS_FIND_RACE)
            for (int k = 0; k < 2; k++)
                if (f->access[k].thread.tid == tid)
                    ADD(f->access[k].at_ns, f->access[k].write ? "writes" : "reads");
        for (size_t k = 0; k < f->nedges; k++)
            if (f->edges[k].thread.tid == tid)
                ADD(f->edges[k].at_ns, "takes the locks in this order");
    }
#undef ADD
    *out = v;
    return n;
}

static void thread_instant(struct tw *w, uint32_t pid, const struct ls_ftimeline *tl,
                           const struct ls_ftrack *tk, uint64_t at, const char *what)
{
    begin_event(w, "i", pid, tk->tid);
    fputs(",\"s\":\"t\",", w->out);
    ts(w, tl, at);
    fprintf(w->out, ",\"name\":\"%s\",\"cat\":\"thread\"}", what);
}

/* The event's pid for process i: its own, unless an earlier process of the
 * report had it (the same process after an exec: a file and a clock of its
 * own), then one above any real pid (pid_max is at most 2^22). */
static uint32_t json_pid(const struct ls_report *r, size_t i)
{
    uint32_t k = 0;
    for (size_t j = 0; j < i; j++)
        k += r->procs[j].pid == r->procs[i].pid && r->procs[j].timeline;
    return r->procs[i].pid + k * (1u << 22);
}

static void write_track(struct tw *w, const struct ls_report *r, size_t proc,
                        const struct ls_ftimeline *tl, const struct ls_ftrack *tk)
{
    uint32_t pid = json_pid(r, proc);
    struct instant *in;
    size_t nin = instants_of(r, proc, tk->tid, &in);
    size_t np = tk->nslices * 2 + nin;
    struct point *pt = xcalloc(np + 1, sizeof *pt);
    size_t k = 0;
    for (size_t i = 0; i < tk->nslices; i++) {
        const struct ls_fslice *s = &tk->slices[i];
        pt[k++] = (struct point){s->begin_ns, 1, i};
        pt[k++] = (struct point){s->end_ns, s->end_ns == s->begin_ns ? 2 : 0, i};
    }
    for (size_t i = 0; i < nin; i++)
        pt[k++] = (struct point){in[i].ns, 3, i};
    if (np > 1)
        qsort(pt, np, sizeof *pt, point_cmp);
    if (tk->started)
        thread_instant(w, pid, tl, tk, tk->begin_ns, "thread start");
    size_t *stack = xcalloc(tk->nslices + 1, sizeof *stack);
    size_t depth = 0;
    for (size_t p = 0; p < np; p++) {
        const struct point *x = &pt[p];
        if (x->type == 3) {
            instant_event(w, pid, tl, tk->tid, r, &in[x->i]);
            continue;
        }
        const struct ls_fslice *s = &tk->slices[x->i];
        if (x->type == 1) {
            slice_event(w, pid, tl, tk, s, 0, 0);
            stack[depth++] = x->i;
            continue;
        }
        size_t at = depth;
        while (at > 0 && stack[at - 1] != x->i)
            at--;
        if (at == 0)
            continue; /* never begun: cannot happen, ends follow begins */
        /* End the slices above it at this time, then begin them again. */
        for (size_t j = depth; j-- > at;) {
            const struct ls_fslice *o = &tk->slices[stack[j]];
            struct ls_fslice cut = *o;
            cut.end_ns = s->end_ns;
            slice_event(w, pid, tl, tk, &cut, 1, 0);
        }
        slice_event(w, pid, tl, tk, s, 1, 0);
        for (size_t j = at; j < depth; j++) {
            struct ls_fslice again = tk->slices[stack[j]];
            again.begin_ns = s->end_ns;
            slice_event(w, pid, tl, tk, &again, 0, 1);
            stack[j - 1] = stack[j];
        }
        depth--;
    }
    if (tk->ended)
        thread_instant(w, pid, tl, tk, tk->end_ns, "thread end");
    free(stack);
    free(pt);
    free(in);
}

static void metadata(struct tw *w, uint32_t pid, uint32_t tid, const char *what,
                     const char *name)
{
    begin_event(w, "M", pid, tid);
    fprintf(w->out, ",\"ts\":0,\"name\":\"%s\",\"args\":{\"name\":", what);
    ls_esc_json(w->out, name);
    fputs("}}", w->out);
}

void ls_report_timeline(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    (void)c;
    struct tw w = {.out = out};
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct ls_ftimeline *tl = r->procs[i].timeline;
        if (tl && tl->begin_ns) {
            uint64_t b = wall(tl, tl->begin_ns);
            if (!w.origin || b < w.origin)
                w.origin = b;
        }
    }
    fputs("{\"traceEvents\":[", out);
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct ls_fprocess *p = &r->procs[i];
        const struct ls_ftimeline *tl = p->timeline;
        if (!tl)
            continue;
        uint32_t pid = json_pid(r, i);
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s (pid %u%s)", ls_basename(p->exe ? p->exe : "?"), p->pid,
                  pid != p->pid ? ", a later image" : "");
        metadata(&w, pid, 0, "process_name", sb.buf);
        sb_free(&sb);
        for (size_t t = 0; t < tl->ntracks; t++) {
            const struct ls_ftrack *tk = &tl->tracks[t];
            char lb[16];
            sb_init(&sb);
            sb_adds(&sb, ls_rthread_label(tk->tid, lb));
            if (tk->name)
                sb_printf(&sb, " (%s)", tk->name);
            metadata(&w, pid, tk->tid, "thread_name", sb.buf);
            sb_free(&sb);
            begin_event(&w, "M", pid, tk->tid);
            fprintf(out, ",\"ts\":0,\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}",
                    tk->tid);
            write_track(&w, r, i, tl, tk);
        }
    }
    fprintf(out, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"tool\":\"lockscope\","
                 "\"version\":\"" LS_VERSION "\",\"processes\":[");
    int first = 1;
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct ls_ftimeline *tl = r->procs[i].timeline;
        if (!tl)
            continue;
        uint64_t events = 0, lost = 0;
        for (size_t t = 0; t < tl->ntracks; t++) {
            events += tl->tracks[t].events;
            lost += tl->tracks[t].lost;
        }
        fprintf(out,
                "%s{\"pid\":%u,\"os_pid\":%u,\"events\":%" PRIu64 ",\"lost\":%" PRIu64
                ",\"capacity\":%u,\"clock\":\"%s\"}",
                first ? "" : ",", json_pid(r, i), r->procs[i].pid, events, lost, tl->capacity,
                tl->source);
        first = 0;
    }
    fputs("]}}\n", out);
}
