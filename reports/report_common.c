/*
 * Small helpers every renderer uses: thread labels, the kinds this build
 * knows, a finding's primary place, and freeing the report context.
 */
#define _GNU_SOURCE
#include "reports.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

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

ssize_t ls_rparent(const struct ls_report *r, const struct ls_report_ctx *c, size_t p)
{
    const struct ls_fprocess *x = &r->procs[p];
    uint64_t start = c && p < c->npx ? c->px[p].start_ns : 0;
    ssize_t best = -1;
    uint64_t best_start = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        if (i == p || r->procs[i].pid != x->ppid)
            continue;
        /* The parent started before the child; of several with that pid
         * (used again), the latest such.  Without times: the first. */
        uint64_t s = c && i < c->npx ? c->px[i].start_ns : 0;
        if (start && s > start)
            continue;
        if (best < 0 || s > best_start) {
            best = (ssize_t)i;
            best_start = s;
        }
    }
    return best;
}

static int is_runner(const struct ls_fprocess *p)
{
    static const char *const runners[] = {"ctest", "prove", "meson", "tap-driver",
                                          "test-driver", "pytest", "run-tests"};
    const char *exe = p->exe ? strrchr(p->exe, '/') : NULL;
    exe = exe ? exe + 1 : p->exe ? p->exe : "";
    for (size_t i = 0; i < sizeof runners / sizeof runners[0]; i++)
        if (!strcmp(exe, runners[i]))
            return 1;
    /* A driver script run by a shell or perl: its name on the command line. */
    const char *cmd = p->cmdline ? p->cmdline : "";
    return strstr(cmd, "test-driver") || strstr(cmd, "tap-driver") || strstr(cmd, "/prove");
}

static int driver_line(const struct ls_fprocess *p);

static char *test_name_of(const struct ls_fprocess *p)
{
    const char *cmd = ls_rproc_command(p);
    const char *n = driver_line(p) ? strstr(cmd, "--test-name ") : NULL;
    if (n) {
        n += strlen("--test-name ");
        size_t len = strcspn(n, " ");
        return strndup(n, len);
    }
    return strdup(cmd);
}

/* An automake-style test driver's own command line (not a shell's -c
 * string that merely runs one): the test's name follows --test-name. */
static int driver_line(const struct ls_fprocess *p)
{
    const char *cmd = ls_rproc_command(p);
    const char *sp = strchr(cmd, ' ');
    if (sp && !strncmp(sp, " -c ", 4))
        return 0;
    return strstr(cmd, "--test-name ") != NULL;
}

size_t ls_rtest(const struct ls_report *r, const struct ls_report_ctx *c, size_t p, char **name)
{
    size_t cur = p, test = p;
    for (size_t depth = 0; depth < r->nprocs; depth++) {
        if (driver_line(&r->procs[cur])) {
            test = cur; /* an automake test driver: the test's name is on its line */
            break;
        }
        ssize_t up = ls_rparent(r, c, cur);
        if (up < 0)
            break; /* cur is the command lockscope run started */
        const struct ls_fprocess *parent = &r->procs[up];
        if (is_runner(parent)) {
            test = driver_line(parent) ? (size_t)up : cur;
            break;
        }
        if (ls_rparent(r, c, (size_t)up) < 0) {
            test = cur; /* a child of the top command */
            break;
        }
        cur = (size_t)up;
    }
    if (name)
        *name = test_name_of(&r->procs[test]);
    return test;
}

int ls_rtest_like(const struct ls_report *r, size_t p)
{
    const struct ls_fprocess *x = &r->procs[p];
    if (x->nthreads > 1 || x->nlocks > 0)
        return 1;
    for (size_t i = 0; i < r->nfindings; i++)
        for (size_t k = 0; k < r->findings[i].nseen; k++)
            if (r->findings[i].seen[k].proc == p)
                return 1;
    return 0;
}
