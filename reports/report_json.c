/*
 * The JSON report.  Schema: docs/json-report.md (schema_version 1).
 */
#define _GNU_SOURCE
#include "reports.h"

#include <stdint.h>
#include <stdlib.h>
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
    fprintf(out, ",\"offset\":\"0x%llx\",\"inlined\":%s", (unsigned long long)f->module_offset,
            f->inlined ? "true" : "false");
    if (f->python)
        fputs(",\"python\":true", out);
    if (f->collapsed)
        fputs(",\"collapsed\":true", out);
    fputc('}', out);
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

/* Every process a finding was seen in, with the test each ran in. */
static void jseen(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c,
                  const struct ls_finding *f)
{
    fputs(",\"seen_in\":[", out);
    for (size_t k = 0; k < f->nseen; k++) {
        size_t p = f->seen[k].proc;
        char *test = NULL;
        ls_rtest(r, c, p, &test);
        fprintf(out, "%s{\"process\":%zu,\"pid\":%u,\"count\":%zu,\"command\":", k ? "," : "",
                p, r->procs[p].pid, f->seen[k].count);
        jstr(out, ls_rproc_command(&r->procs[p]));
        fputs(",\"test\":", out);
        jstr(out, test);
        fputc('}', out);
        free(test);
    }
    fputc(']', out);
}

static void jfinding(FILE *out, const struct ls_report *r, const struct ls_finding *f,
                     const struct ls_rfinding *x, const struct ls_report_ctx *c)
{
    fputs("{\"id\":", out);
    jstr(out, f->id);
    fputs(",\"kind\":", out);
    jstr(out, ls_finding_kind_name(f->kind));
    fputs(",\"severity\":", out);
    jstr(out, f->severity);
    fputs(",\"title\":", out);
    jstr(out, ls_finding_title(f->kind));
    fprintf(out, ",\"process\":%zu,\"pid\":%u", f->proc, r->procs[f->proc].pid);
    jseen(out, r, c, f);
    fputs(",\"locks\":[", out);
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
        fprintf(out, ",\"self\":%s,\"fork_orphan\":%s,\"orphan\":%s,\"stall\":%s,"
                     "\"ended_program\":%s,\"exit_status\":%d,\"threads\":[",
                f->self ? "true" : "false", f->fork_orphan ? "true" : "false",
                f->orphan ? "true" : "false",
                f->kind == LS_FIND_STALL ? "true" : "false",
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
    if (f->kind == LS_FIND_RACE) {
        fputs(",\"variable\":{\"name\":", out);
        jstr(out, f->var.name);
        /* address, offset, watched: of the first access, as in schema 1 */
        fprintf(out,
                ",\"address\":\"0x%llx\",\"size\":%llu,\"offset\":%llu,\"watched\":%u,"
                "\"start\":\"0x%llx\",\"location\":\"%s\"",
                (unsigned long long)f->access[0].addr, (unsigned long long)f->var.size,
                (unsigned long long)f->access[0].offset, f->access[0].watched,
                (unsigned long long)f->var.addr, ls_var_location_name(f->var.location));
        if (f->var.module) {
            fputs(",\"module\":", out);
            jstr(out, f->var.module);
        }
        if (f->var.description) {
            fputs(",\"description\":", out);
            jstr(out, f->var.description);
        }
        if (f->var.field) {
            fputs(",\"field\":", out);
            jstr(out, f->var.field);
        }
        if (f->var.alloc_stack.n) {
            fputs(",\"alloc_stack\":", out);
            jstack(out, &f->var.alloc_stack);
        }
        fputs("},\"accesses\":[", out);
        for (int i = 0; i < 2; i++) {
            const struct ls_faccess *a = &f->access[i];
            fprintf(out, "%s{\"kind\":\"%s\",\"read_modify_write\":%s,\"address\":\"0x%llx\","
                         "\"size\":%llu,\"offset\":%llu,\"where\":",
                    i ? "," : "", a->write ? "write" : "read", a->write && a->read ? "true" : "false",
                    (unsigned long long)a->addr, (unsigned long long)a->size,
                    (unsigned long long)a->offset);
            jstr(out, a->where);
            fprintf(out, ",\"address_computed\":%s,\"watched\":%u,\"thread\":",
                    a->inexact ? "false" : "true", a->watched);
            jthread(out, &a->thread);
            fputs(",\"stack\":", out);
            jstack(out, &a->stack);
            fputs(",\"locks_held\":[", out);
            for (size_t j = 0; j < a->nheld; j++) {
                if (j)
                    fputc(',', out);
                jstr(out, f->locks[a->held[j]].label);
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
        fputs(",\"call\":", out);
        jstr(out, f->call);
        fputs(",\"error\":", out);
        jstr(out, f->error);
        fputs(",\"other_thread\":", out);
        if (f->other.tid)
            jthread(out, &f->other);
        else
            fputs("null", out);
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
    fputs(",\"suppression\":", out);
    jstr(out, x ? x->suppress : NULL);
    fputs(",\"baseline\":", out);
    jstr(out, !x || x->baseline == LS_BASELINE_NONE ? NULL
              : x->baseline == LS_BASELINE_NEW     ? "new"
                                                   : "known");
    fprintf(out, ",\"fails\":%s}", !x || x->fails ? "true" : "false");
}

static void jstrings(FILE *out, const char *const *v, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        jstr(out, v[i]);
    }
    fputc(']', out);
}

static void jcounts(FILE *out, const struct ls_report *r, const struct ls_rcount *extra,
                    size_t nextra)
{
    enum ls_finding_kind kinds[LS_RCTX_MAX_LIST];
    size_t nk = ls_rkinds(kinds, LS_RCTX_MAX_LIST);
    fputc('{', out);
    for (size_t k = 0; k < nk; k++) {
        size_t n = 0;
        const char *name = ls_finding_kind_name(kinds[k]);
        if (r) {
            for (size_t i = 0; i < r->nfindings; i++)
                n += r->findings[i].kind == kinds[k];
        }
        for (size_t i = 0; i < nextra; i++)
            if (!strcmp(extra[i].kind, name))
                n += extra[i].n;
        fprintf(out, "%s\"%s\":%zu", k ? "," : "", name, n);
    }
    fputc('}', out);
}

/* "checked" and "not_checked": the scope lines, merged over processes. */
static void jscope_lists(FILE *out, const struct ls_report *r)
{
    struct ls_rscope *lines;
    size_t n = ls_rscope_lines(r, &lines);
    for (int pass = 0; pass < 2; pass++) {
        fputs(pass ? ",\"not_checked\":[" : ",\"checked\":[", out);
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            if ((lines[i].state == LS_SCOPE_NOT_CHECKED) != pass)
                continue;
            if (!first)
                fputc(',', out);
            first = 0;
            jstr(out, lines[i].text);
        }
        fputc(']', out);
    }
    ls_rscope_free(lines, n);
}

static void jcontext(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    fputs(",\n\"run\":{\"command\":", out);
    jstr(out, c ? c->command : NULL);
    if (c && c->status >= 0)
        fprintf(out, ",\"exit_status\":%d", c->status);
    else
        fputs(",\"exit_status\":null", out);
    if (c && c->duration_s >= 0)
        fprintf(out, ",\"duration_seconds\":%.3f", c->duration_s);
    else
        fputs(",\"duration_seconds\":null", out);
    fputs(",\"notes\":", out);
    jstrings(out, c ? (const char *const *)c->notes : NULL, c ? c->nnotes : 0);
    fputc('}', out);
    jscope_lists(out, r);
    fputs(",\n\"suppressions\":", out);
    if (c && c->supp_file) {
        fputs("{\"file\":", out);
        jstr(out, c->supp_file);
        fprintf(out, ",\"suppressed\":%zu,\"by_kind\":", c->suppressed);
        jcounts(out, NULL, c->suppressed_by_kind, c->nsuppressed_kinds);
        fputs(",\"rules\":[", out);
        for (size_t i = 0; i < c->nsupps; i++) {
            fputs(i ? ",{\"file\":" : "{\"file\":", out);
            jstr(out, c->supps[i].file);
            fprintf(out, ",\"line\":%d,\"text\":", c->supps[i].line);
            jstr(out, c->supps[i].text);
            fprintf(out, ",\"matched\":%zu}", c->supps[i].hits);
        }
        fputs("]}", out);
    } else {
        fputs("null", out);
    }
    fputs(",\n\"baseline\":", out);
    if (c && c->baseline_file) {
        fputs("{\"file\":", out);
        jstr(out, c->baseline_file);
        fprintf(out, ",\"new\":%zu,\"known\":%zu,\"gone\":%zu}", c->baseline_new,
                c->baseline_known, c->baseline_gone);
    } else {
        fputs("null", out);
    }
    fputs(",\n\"fail_on\":", out);
    if (!c || c->fail_on_all) {
        enum ls_finding_kind kinds[LS_RCTX_MAX_LIST];
        size_t nk = ls_rkinds(kinds, LS_RCTX_MAX_LIST), n = 0;
        const char *names[2 * LS_RCTX_MAX_LIST];
        for (size_t k = 0; k < nk; k++)
            if (ls_kind_fails_by_default(ls_finding_kind_name(kinds[k])))
                names[n++] = ls_finding_kind_name(kinds[k]);
        /* "all" and a kind outside it, named too */
        for (size_t k = 0; c && k < c->nfail_on; k++)
            if (!ls_kind_fails_by_default(c->fail_on[k]))
                names[n++] = c->fail_on[k];
        jstrings(out, names, n);
    } else {
        jstrings(out, c->fail_on, c->nfail_on);
    }
}

void ls_report_json(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
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
        ssize_t parent = ls_rparent(r, c, i);
        char *test = NULL;
        size_t ti = ls_rtest(r, c, i, &test);
        if (parent >= 0)
            fprintf(out, ",\"parent\":%zd", parent);
        else
            fputs(",\"parent\":null", out);
        fprintf(out, ",\"test_process\":%zu,\"test\":", ti);
        jstr(out, test);
        free(test);
        fprintf(out, ",\"test_like\":%s", ls_rtest_like(r, i) ? "true" : "false");
        fprintf(out,
                ",\"exited_normally\":%s,\"threads\":%zu,\"locks\":%zu,\"lock_order_edges\":%zu",
                p->ended ? "true" : "false", p->nthreads, p->nlocks, p->nedges);
        static const char *const watch_names[] = {"not recorded", "on", "refused", "none",
                                                  "off"};
        fprintf(out, ",\"races\":{\"watchpoints\":\"%s\",\"why_not\":",
                p->watch_status >= 0 && p->watch_status <= 4 ? watch_names[p->watch_status]
                                                             : "unknown");
        jstr(out, p->watch_msg && *p->watch_msg ? p->watch_msg : NULL);
        const struct ls_watch_counts *w = &p->wcount;
        fprintf(out,
                ",\"candidates\":%u,\"slots\":%u,\"traps\":{\"taken\":%llu,\"exact\":%llu,"
                "\"address_not_computed\":%llu,\"no_access\":%llu,\"not_decoded\":%llu,"
                "\"outside_program\":%llu,\"stray\":%llu,\"atomic\":%llu,"
                "\"rate_limited\":%llu},\"turns\":{\"armed\":%u,\"rested\":%u},"
                "\"sampled_accesses\":%zu,\"sampled\":[",
                p->watch_candidates, p->watch_slots, (unsigned long long)w->traps,
                (unsigned long long)w->exact, (unsigned long long)w->inexact,
                (unsigned long long)w->no_access, (unsigned long long)w->undecoded,
                (unsigned long long)w->foreign, (unsigned long long)w->stray,
                (unsigned long long)w->atomic, (unsigned long long)w->limited, w->turns_armed,
                w->turns_rested, p->accesses);
        for (size_t k = 0; k < p->nsampled; k++) {
            const struct ls_fsampled *sv = &p->sampled[k];
            fputs(k ? ",{\"variable\":" : "{\"variable\":", out);
            jstr(out, sv->name);
            fprintf(out,
                    ",\"reads\":%zu,\"writes\":%zu,\"atomic_accesses\":%zu,"
                    "\"address_not_computed\":%zu,\"atomic\":%s}",
                    sv->reads, sv->writes, sv->atomic_accesses, sv->inexact,
                    sv->atomic ? "true" : "false");
        }
        fputs("]}", out);
        fputs(",\"lock_order\":[", out);
        for (size_t k = 0; k < p->norder; k++) {
            fputs(k ? ",{\"from\":" : "{\"from\":", out);
            jstr(out, p->order[k].from);
            fputs(",\"to\":", out);
            jstr(out, p->order[k].to);
            fprintf(out, ",\"instances\":%zu,\"from_read\":%s,\"to_read\":%s}",
                    p->order[k].instances, p->order[k].from_read ? "true" : "false",
                    p->order[k].to_read ? "true" : "false");
        }
        fprintf(out, "],\"lock_order_truncated\":%s", p->order_truncated ? "true" : "false");
        fputs(",\"scope\":[", out);
        for (size_t k = 0; k < p->nscope; k++) {
            const struct ls_fscope *e = &p->scope[k];
            fputs(k ? ",{\"check\":" : "{\"check\":", out);
            jstr(out, e->check);
            fputs(",\"title\":", out);
            jstr(out, e->title);
            fprintf(out, ",\"state\":\"%s\",\"detail\":", ls_scope_state_name(e->state));
            jstr(out, e->detail);
            fputc('}', out);
        }
        fputc(']', out);
        const struct ls_rproc *x = c && i < c->npx ? &c->px[i] : NULL;
        if (x && x->exit_status >= 0 && !x->execed)
            fprintf(out, ",\"exit_status\":%d", x->exit_status);
        else
            fputs(",\"exit_status\":null", out);
        fprintf(out, ",\"execed\":%s", x && x->execed ? "true" : "false");
        if (x && x->end_ns > x->start_ns && x->start_ns)
            fprintf(out, ",\"duration_seconds\":%.3f", (double)(x->end_ns - x->start_ns) / 1e9);
        else
            fputs(",\"duration_seconds\":null", out);
        fputs(",\"notes\":", out);
        jstrings(out, x ? (const char *const *)x->notes : NULL, x ? x->nnotes : 0);
        fputc('}', out);
    }
    fputs("],\"profile\":[", out);
    for (size_t i = 0; i < r->nprofiles; i++) {
        const struct ls_fprofile *q = &r->profiles[i];
        fprintf(out, "%s{\"process\":%zu,\"lock\":", i ? ",\n" : "", q->proc);
        jlock(out, &q->lock);
        fprintf(out,
                ",\"acquisitions\":%llu,\"contended\":%llu,\"owner_changes\":%llu,"
                "\"wait_ns\":%llu,\"wait_max_ns\":%llu,\"hold_ns_estimated\":%llu,"
                "\"hold_samples\":%llu,\"hold_max_ns\":%llu,\"long_hold\":%s,\"long_holds\":%llu,"
                "\"hold_max_slack_ns\":%llu,\"wait_sites\":[",
                (unsigned long long)q->acquisitions, (unsigned long long)q->contended,
                (unsigned long long)q->owner_changes, (unsigned long long)q->wait_ns,
                (unsigned long long)q->wait_max_ns, (unsigned long long)q->hold_est_ns,
                (unsigned long long)q->hold_samples, (unsigned long long)q->hold_max_ns,
                c && c->long_hold_ns && q->hold_max_ns > c->long_hold_ns ? "true" : "false",
                (unsigned long long)q->long_holds, (unsigned long long)q->hold_slack_ns);
        for (size_t k = 0; k < q->nsites; k++) {
            fprintf(out, "%s{\"waits\":%llu,\"wait_ns\":%llu,\"stack\":", k ? "," : "",
                    (unsigned long long)q->sites[k].waits, (unsigned long long)q->sites[k].wait_ns);
            jstack(out, &q->sites[k].stack);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    const struct ls_fprofile_rest *rest = &r->profile_rest;
    fprintf(out, "],\"profile_rest\":{\"locks\":%zu,\"acquisitions\":%llu,\"contended\":%llu,"
                 "\"wait_ns\":%llu}",
            rest->locks, (unsigned long long)rest->acquisitions,
            (unsigned long long)rest->contended, (unsigned long long)rest->wait_ns);
    fputs(",\"findings\":[", out);
    for (size_t i = 0; i < r->nfindings; i++) {
        if (i)
            fputc(',', out);
        fputc('\n', out);
        jfinding(out, r, &r->findings[i], c && i < c->nfx ? &c->fx[i] : NULL, c);
    }
    fprintf(out, "],\n\"summary\":{\"findings\":%zu,\"by_kind\":", r->nfindings);
    jcounts(out, r, NULL, 0);
    struct ls_rcoverage cov;
    ls_rcoverage(r, &cov);
    fprintf(out, ",\"dismissed_cycles\":%zu,\"suppressed\":%zu,\"failing\":%zu,"
                 "\"race_coverage\":{\"processes_with_threads\":%zu,\"processes_watched\":%zu,"
                 "\"accesses_sampled\":%zu,\"globals_sampled\":%zu,\"hardly_checked\":%s}}",
            r->dismissed_cycles, c ? c->suppressed : 0, c ? c->failing : r->nfindings,
            cov.threaded, cov.watched, cov.accesses, cov.globals, cov.hardly ? "true" : "false");
    jcontext(out, r, c);
    fputs("}\n", out);
}
