/*
 * The JSON report.  Schema: docs/json-report.md (schema_version 1).
 */
#define _GNU_SOURCE
#include "reports.h"

#include <stdint.h>
#include <string.h>

#ifndef LS_VERSION
#define LS_VERSION "0"
#endif

static void jstr(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void jframe(FILE *out, const struct ls_fframe *f)
{
    fputs("{\"function\":", out);
    jstr(out, f->function);
    fputs(",\"file\":", out);
    jstr(out, f->file);
    fprintf(out, ",\"line\":%d,\"column\":%d,\"module\":", f->line, f->column);
    jstr(out, f->module);
    fprintf(out, ",\"offset\":\"0x%llx\",\"inlined\":%s}", (unsigned long long)f->module_offset,
            f->inlined ? "true" : "false");
}

static void jstack(FILE *out, const struct ls_fstack *s)
{
    fputc('[', out);
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            fputc(',', out);
        jframe(out, &s->frames[i]);
    }
    fputc(']', out);
}

static void jthread(FILE *out, const struct ls_fthread *t)
{
    char label[32];
    if (t->tid == 1)
        snprintf(label, sizeof label, "main");
    else
        snprintf(label, sizeof label, "T%u", t->tid - 1);
    fprintf(out, "{\"id\":%u,\"label\":\"%s\",\"os_tid\":%u,\"name\":", t->tid, label, t->os_tid);
    jstr(out, t->name);
    fprintf(out, ",\"parent\":%u,\"created_at\":", t->parent);
    jstack(out, &t->created_at);
    fputc('}', out);
}

static void jlock(FILE *out, const struct ls_flock *l)
{
    fputs("{\"name\":", out);
    jstr(out, l->name);
    fputs(",\"label\":", out);
    jstr(out, l->label);
    fputs(",\"kind\":", out);
    jstr(out, l->kind);
    fprintf(out, ",\"address\":\"0x%llx\",\"site\":{\"what\":\"%s\",\"stack\":",
            (unsigned long long)l->addr,
            l->site.n == 0 ? "static" : l->site_is_init ? "initialized" : "first-locked");
    jstack(out, &l->site);
    fputs("}}", out);
}

static void jfinding(FILE *out, const struct ls_report *r, const struct ls_finding *f)
{
    fputs("{\"id\":", out);
    jstr(out, f->id);
    fputs(",\"kind\":", out);
    jstr(out, ls_finding_kind_name(f->kind));
    fputs(",\"severity\":", out);
    jstr(out, f->severity);
    fputs(",\"title\":", out);
    jstr(out, ls_finding_title(f->kind));
    fprintf(out, ",\"process\":%zu,\"pid\":%u,\"locks\":[", f->proc, r->procs[f->proc].pid);
    for (size_t i = 0; i < f->nlocks; i++) {
        if (i)
            fputc(',', out);
        jlock(out, &f->locks[i]);
    }
    fputs("],\"edges\":[", out);
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        if (i)
            fputc(',', out);
        fputs("{\"from\":", out);
        jstr(out, f->locks[e->from].label);
        fputs(",\"to\":", out);
        jstr(out, f->locks[e->to].label);
        fprintf(out, ",\"from_index\":%zu,\"to_index\":%zu,\"thread\":", e->from, e->to);
        jthread(out, &e->thread);
        fputs(",\"from_stack\":", out);
        jstack(out, &e->from_stack);
        fputs(",\"to_stack\":", out);
        jstack(out, &e->to_stack);
        fprintf(out, ",\"from_stack_approximate\":%s,\"timed\":%s}",
                e->from_approx ? "true" : "false", e->timed ? "true" : "false");
    }
    fputs("]", out);
    if (f->kind == LS_FIND_DEADLOCK || f->kind == LS_FIND_STALL) {
        fprintf(out, ",\"self\":%s,\"stall\":%s,\"ended_program\":%s,\"exit_status\":%d,"
                     "\"threads\":[",
                f->self ? "true" : "false", f->kind == LS_FIND_STALL ? "true" : "false",
                f->ended ? "true" : "false", f->exit_status);
        for (size_t i = 0; i < f->nwaiters; i++) {
            const struct ls_fwaiter *w = &f->waiters[i];
            if (i)
                fputc(',', out);
            fputs("{\"thread\":", out);
            jthread(out, &w->thread);
            fprintf(out, ",\"waits_for\":{\"kind\":\"%s\",\"lock\":", w->wait);
            jstr(out, w->lock != SIZE_MAX ? f->locks[w->lock].label : NULL);
            fprintf(out, ",\"thread\":%u},\"wait_stack\":", w->waits_on);
            jstack(out, &w->wait_stack);
            fputs(",\"holds\":[", out);
            for (size_t j = 0; j < w->nheld; j++) {
                if (j)
                    fputc(',', out);
                fputs("{\"lock\":", out);
                jstr(out, f->locks[w->held[j].lock].label);
                fputs(",\"stack\":", out);
                jstack(out, &w->held[j].stack);
                fputc('}', out);
            }
            fputs("]}", out);
        }
        fputc(']', out);
    }
    if (f->kind == LS_FIND_MISUSE) {
        fputs(",\"rule\":", out);
        jstr(out, f->rule);
        fputs(",\"thread\":", out);
        jthread(out, &f->thread);
        fputs(",\"stack\":", out);
        jstack(out, &f->stack);
        fputs(",\"other_stack\":", out);
        jstack(out, &f->stack2);
        fputs(",\"other_stack_what\":", out);
        jstr(out, f->stack2_what);
    }
    fputs(",\"related\":", out);
    jstr(out, f->related[0] ? f->related : NULL);
    fputs(",\"reason\":", out);
    jstr(out, f->reason);
    fputs(",\"summary\":", out);
    if (f->summary) {
        fputs("{\"function\":", out);
        jstr(out, f->summary->function);
        fputs(",\"file\":", out);
        jstr(out, f->summary->file);
        fprintf(out, ",\"line\":%d}", f->summary->line);
    } else {
        fputs("null", out);
    }
    fputc('}', out);
}

void ls_report_json(FILE *out, const struct ls_report *r)
{
    fprintf(out, "{\"tool\":\"lockscope\",\"version\":\"%s\",\"schema_version\":1,", LS_VERSION);
    fputs("\"processes\":[", out);
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct ls_fprocess *p = &r->procs[i];
        if (i)
            fputc(',', out);
        fprintf(out, "{\"index\":%zu,\"pid\":%u,\"ppid\":%u,\"exe\":", i, p->pid, p->ppid);
        jstr(out, p->exe);
        fputs(",\"command\":", out);
        jstr(out, p->cmdline);
        fputs(",\"trace\":", out);
        jstr(out, p->trace);
        fprintf(out,
                ",\"exited_normally\":%s,\"threads\":%zu,\"locks\":%zu,\"lock_order_edges\":%zu}",
                p->ended ? "true" : "false", p->nthreads, p->nlocks, p->nedges);
    }
    fputs("],\"findings\":[", out);
    for (size_t i = 0; i < r->nfindings; i++) {
        if (i)
            fputc(',', out);
        fputc('\n', out);
        jfinding(out, r, &r->findings[i]);
    }
    size_t lo = 0, dl = 0, st = 0, mi = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        lo += r->findings[i].kind == LS_FIND_LOCK_ORDER;
        dl += r->findings[i].kind == LS_FIND_DEADLOCK;
        st += r->findings[i].kind == LS_FIND_STALL;
        mi += r->findings[i].kind == LS_FIND_MISUSE;
    }
    fprintf(out,
            "],\n\"summary\":{\"findings\":%zu,\"by_kind\":{\"lock-order-cycle\":%zu,"
            "\"deadlock\":%zu,\"stall\":%zu,\"misuse\":%zu},\"dismissed_cycles\":%zu}}\n",
            r->nfindings, lo, dl, st, mi, r->dismissed_cycles);
}
