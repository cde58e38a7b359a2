/*
 * Programs that were started but wrote no trace: statically linked or
 * set-uid (the dynamic loader ignores LD_PRELOAD there, and the shim does
 * nothing in AT_SECURE processes), or started with LD_PRELOAD removed from
 * their environment.  Each is named by its own path, from the LS_REC_EXEC
 * records of the processes that started it (exec, exec in a vfork child,
 * posix_spawn), however deep in a build or test tree.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "model.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct started {
    size_t proc;              /* the traced process that started it */
    uint32_t pid, how;
    uint64_t time_ns;
    char *path;
};

static struct started *starts;
static size_t nstarts, cap_starts;
static struct pinfo {
    uint32_t pid;
    uint64_t start_ns;
} *procs;                     /* by report process index */
static size_t nproc, cap_proc;

void ls_untraced_add(size_t proc, const struct ls_process *p)
{
    LS_GROW(procs, cap_proc, proc + 1);
    for (; nproc <= proc; nproc++)
        procs[nproc] = (struct pinfo){0, UINT64_MAX};
    procs[proc] = (struct pinfo){p->pid, p->start_ns};
    for (size_t i = 0; i < p->nexecs; i++) {
        const struct ls_exec_rec *e = &p->execs[i];
        if (e->how == LS_EXEC_FAILED) {
            /* The last start of that pid in this process did not happen. */
            for (size_t k = nstarts; k-- > 0;)
                if (starts[k].proc == proc && starts[k].pid == e->pid) {
                    free(starts[k].path);
                    memmove(&starts[k], &starts[k + 1], (nstarts - k - 1) * sizeof *starts);
                    nstarts--;
                    break;
                }
            continue;
        }
        LS_GROW(starts, cap_starts, nstarts + 1);
        starts[nstarts++] = (struct started){proc, e->pid, e->how, e->time_ns,
                                             xstrdup(e->path ? e->path : "")};
    }
}

int ls_untraced_started_self(size_t proc)
{
    for (size_t k = 0; k < nstarts; k++)
        if (starts[k].proc == proc && starts[k].how == LS_EXEC_SELF)
            return 1;
    return 0;
}

static int traced(const struct started *s)
{
    for (size_t j = 0; j < nproc; j++)
        if (procs[j].pid == s->pid && procs[j].start_ns >= s->time_ns &&
            !(s->how == LS_EXEC_SELF && j == s->proc))
            return 1;
    return 0;
}

static void add_proc_note(struct ls_report_ctx *ctx, size_t i, char *note)
{
    if (i >= ctx->npx) {
        free(note);
        return;
    }
    struct ls_rproc *x = &ctx->px[i];
    x->notes = xrealloc(x->notes, (x->nnotes + 1) * sizeof *x->notes);
    x->notes[x->nnotes++] = note;
}

static void how_started(struct strbuf *sb, const struct ls_report *r, const struct started *s)
{
    const char *cmd = s->proc < r->nprocs ? ls_rproc_command(&r->procs[s->proc]) : "?";
    uint32_t starter = s->proc < r->nprocs ? r->procs[s->proc].pid : 0;
    if (s->how == LS_EXEC_SELF)
        sb_printf(sb, "exec'd by process %u (%s)", starter, cmd);
    else if (s->how == LS_EXEC_VFORK)
        sb_printf(sb, "exec'd in process %u, a vfork child of process %u (%s)", s->pid,
                  starter, cmd);
    else
        sb_printf(sb, "started with posix_spawn as process %u by process %u (%s)", s->pid,
                  starter, cmd);
}

void ls_untraced_note(const struct ls_report *r, struct ls_report_ctx *ctx)
{
    char *done = xcalloc(nstarts + 1, 1);
    for (size_t k = 0; k < nstarts; k++) {
        if (done[k] || traced(&starts[k]))
            continue;
        /* One note for each program, however often it was started. */
        size_t times = 0;
        for (size_t m = k; m < nstarts; m++)
            if (!done[m] && !strcmp(starts[m].path, starts[k].path) && !traced(&starts[m])) {
                done[m] = 1;
                times++;
                struct strbuf pn;
                sb_init(&pn);
                sb_printf(&pn, "it started '%s' (process %u), which wrote no trace (statically "
                               "linked or set-uid?): that program was not checked",
                          starts[m].path, starts[m].pid);
                add_proc_note(ctx, starts[m].proc, sb_detach(&pn));
            }
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "'%s' wrote no trace", starts[k].path);
        if (times > 1)
            sb_printf(&sb, " (started %zu times)", times);
        sb_adds(&sb, ": it was not checked (a statically linked or set-uid program, or one "
                     "started without LD_PRELOAD); ");
        how_started(&sb, r, &starts[k]);
        if (times > 1)
            sb_adds(&sb, " and others");
        ctx->notes = xrealloc(ctx->notes, (ctx->nnotes + 1) * sizeof *ctx->notes);
        ctx->notes[ctx->nnotes++] = sb_detach(&sb);
    }
    free(done);
    for (size_t k = 0; k < nstarts; k++)
        free(starts[k].path);
    free(starts);
    starts = NULL;
    nstarts = cap_starts = 0;
    free(procs);
    procs = NULL;
    nproc = cap_proc = 0;
}
