/*
 * Small helpers every renderer uses: thread labels, the kinds this build
 * knows, a finding's primary place, and freeing the report context.
 */
#define _GNU_SOURCE
#include "reports.h"

#include <stdlib.h>
#include <string.h>

const char *ls_rthread_label(uint32_t tid, char buf[16])
{
    if (tid == 1)
        return "main";
    if (tid == 0)
        return "?";
    snprintf(buf, 16, "T%u", tid - 1);
    return buf;
}

size_t ls_rkinds(enum ls_finding_kind *out, size_t max)
{
    size_t n = 0;
    /* The kinds are numbered from 1; every one has a name. */
    for (int k = 1; k < 64 && n < max; k++)
        if (strcmp(ls_finding_kind_name((enum ls_finding_kind)k), "unknown") != 0)
            out[n++] = (enum ls_finding_kind)k;
    return n;
}

static const struct ls_fframe *first_with_file(const struct ls_fstack *s)
{
    const struct ls_fframe *f = ls_fstack_user_frame(s);
    return f && f->file ? f : NULL;
}

const struct ls_fframe *ls_rprimary(const struct ls_finding *f)
{
    if (f->summary && f->summary->file)
        return f->summary;
    const struct ls_fframe *p = NULL;
    for (size_t i = 0; !p && i < f->nedges; i++)
        p = first_with_file(&f->edges[i].to_stack);
    for (size_t i = 0; !p && i < f->nwaiters; i++)
        p = first_with_file(&f->waiters[i].wait_stack);
    for (size_t i = 0; !p && i < 2; i++)
        p = first_with_file(&f->access[i].stack);
    if (!p)
        p = first_with_file(&f->stack);
    for (size_t i = 0; !p && i < f->nlocks; i++)
        p = first_with_file(&f->locks[i].site);
    return p;
}

const char *ls_rproc_command(const struct ls_fprocess *p)
{
    if (p->cmdline && *p->cmdline)
        return p->cmdline;
    if (p->exe && *p->exe)
        return p->exe;
    return "(unknown program)";
}

void ls_report_ctx_free(struct ls_report_ctx *c)
{
    free(c->command);
    free(c->supp_file);
    for (size_t i = 0; i < c->nsupps; i++) {
        free(c->supps[i].text);
        free(c->supps[i].file);
    }
    free(c->supps);
    for (size_t i = 0; i < c->nnotes; i++)
        free(c->notes[i]);
    free(c->notes);
    free(c->baseline_file);
    free(c->srcroot);
    free(c->html_path);
    free(c->trace_dir);
    for (size_t i = 0; i < c->nfx; i++)
        free(c->fx[i].suppress);
    free(c->fx);
    for (size_t i = 0; i < c->npx; i++) {
        for (size_t j = 0; j < c->px[i].nnotes; j++)
            free(c->px[i].notes[j]);
        free(c->px[i].notes);
    }
    free(c->px);
    memset(c, 0, sizeof *c);
}

void ls_rcoverage(const struct ls_report *r, struct ls_rcoverage *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct ls_fprocess *p = &r->procs[i];
        if (p->nthreads < 2)
            continue;
        out->threaded++;
        if (p->watch_status == LS_WATCH_ON) {
            out->watched++;
            out->accesses += p->accesses;
            for (size_t k = 0; k < p->nsampled; k++)
                out->globals += p->sampled[k].reads + p->sampled[k].writes > 0;
        }
    }
    out->hardly = out->threaded > 0 && (out->watched == 0 || out->accesses < out->threaded);
}
