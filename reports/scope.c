/*
 * The reports' "checked / not checked" lists, merged over the processes
 * from what each process's checks recorded (ls_fprocess.scope).
 */
#define _GNU_SOURCE
#include "reports.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static struct ls_rscope *find_line(struct ls_rscope *v, size_t n, const char *check,
                                   enum ls_scope_state state)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].state == state && !strcmp(v[i].check, check))
            return &v[i];
    return NULL;
}

static int same_detail(const struct ls_report *r, const struct ls_rscope *l)
{
    const char *first = NULL;
    for (size_t k = 0; k < l->nprocs; k++) {
        const struct ls_fprocess *p = &r->procs[l->procs[k]];
        for (size_t i = 0; i < p->nscope; i++) {
            const struct ls_fscope *e = &p->scope[i];
            if (e->state != l->state || strcmp(e->check, l->check))
                continue;
            if (!first)
                first = e->detail;
            else if (strcmp(first, e->detail))
                return 0;
        }
    }
    return 1;
}

const struct ls_fscope *ls_rscope_entry(const struct ls_report *r, const struct ls_rscope *l,
                                        size_t k)
{
    const struct ls_fprocess *p = &r->procs[l->procs[k]];
    for (size_t i = 0; i < p->nscope; i++)
        if (p->scope[i].state == l->state && !strcmp(p->scope[i].check, l->check))
            return &p->scope[i];
    return NULL;
}

static void describe(const struct ls_report *r, struct ls_rscope *l)
{
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, l->title);
    sb_adds(&sb, l->state == LS_SCOPE_PARTIAL ? ", in part: " : ": ");
    if (r->nprocs == 1) {
        sb_adds(&sb, ls_rscope_entry(r, l, 0)->detail);
    } else if (same_detail(r, l)) {
        sb_adds(&sb, ls_rscope_entry(r, l, 0)->detail);
        if (l->nprocs == r->nprocs)
            sb_printf(&sb, " (every process)");
        else
            sb_printf(&sb, " (%zu of %zu processes)", l->nprocs, r->nprocs);
    } else if (l->nprocs <= 3) {
        for (size_t k = 0; k < l->nprocs; k++)
            sb_printf(&sb, "%sin process %u, %s", k ? "; " : "", r->procs[l->procs[k]].pid,
                      ls_rscope_entry(r, l, k)->detail);
    } else {
        sb_printf(&sb, "in %zu of %zu processes (each process says what)", l->nprocs,
                  r->nprocs);
    }
    l->text = sb_detach(&sb);
}

size_t ls_rscope_lines(const struct ls_report *r, struct ls_rscope **out)
{
    struct ls_rscope *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t pi = 0; pi < r->nprocs; pi++) {
        const struct ls_fprocess *p = &r->procs[pi];
        for (size_t i = 0; i < p->nscope; i++) {
            const struct ls_fscope *e = &p->scope[i];
            struct ls_rscope *l = find_line(v, n, e->check, e->state);
            if (!l) {
                LS_GROW(v, cap, n + 1);
                l = &v[n++];
                memset(l, 0, sizeof *l);
                l->check = e->check;
                l->title = e->title;
                l->state = e->state;
                l->procs = xcalloc(r->nprocs, sizeof *l->procs);
            }
            l->procs[l->nprocs++] = pi;
        }
    }
    for (size_t i = 0; i < n; i++)
        describe(r, &v[i]);
    *out = v;
    return n;
}

void ls_rscope_free(struct ls_rscope *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].text);
        free(v[i].procs);
    }
    free(v);
}
