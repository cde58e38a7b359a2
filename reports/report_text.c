/*
 * The text report, in the layout users know from ThreadSanitizer and
 * lockdep: a WARNING header, each edge with both acquisition stacks as
 * numbered frames, the locks and threads involved, why the cycle is real,
 * and a SUMMARY line.
 *
 * On a terminal (ctx->color) it is coloured as ThreadSanitizer's reports
 * are: the WARNING header in bold red, accesses blue, thread descriptions
 * cyan, the location green, locks magenta; and here the frames in the
 * program's own code and the SUMMARY bold.  Without colour not one byte
 * differs but the escape codes.
 */
#define _GNU_SOURCE
#include "reports.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ANSI SGR sequences, as sanitizer_common's report decorator writes them. */
#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_WARNING "\033[1m\033[31m"
#define C_ACCESS "\033[1m\033[34m"
#define C_THREAD "\033[1m\033[36m"
#define C_LOCATION "\033[1m\033[32m"
#define C_LOCK "\033[1m\033[35m"

static int colored;           /* set for the duration of one ls_report_text */

static void on(FILE *out, const char *sgr)
{
    if (colored)
        fputs(sgr, out);
}

static void off(FILE *out)
{
    if (colored)
        fputs(C_RESET, out);
}

/* s in colour sgr. */
static void paint(FILE *out, const char *sgr, const char *s)
{
    on(out, sgr);
    fputs(s, out);
    off(out);
}

static void thread_name(FILE *out, const struct ls_fthread *t)
{
    if (t->tid == 1)
        fprintf(out, "main thread");
    else
        fprintf(out, "thread T%u", t->tid - 1);
    if (t->name)
        fprintf(out, " '%s'", t->name);
}

static void frame_line(FILE *out, size_t i, const struct ls_fframe *f)
{
    int user = ls_fframe_is_user(f);
    fprintf(out, "    #%zu ", i);
    if (user)
        on(out, C_BOLD);
    fputs(f->function ? f->function : "<unknown>", out);
    if (f->file) {
        fprintf(out, " %s:%d", f->file, f->line);
        if (f->column > 0)
            fprintf(out, ":%d", f->column);
    }
    if (user)
        off(out);
    if (f->python)
        ; /* a Python frame has no address */
    else if (f->module)
        fprintf(out, " (%s+0x%llx)", strrchr(f->module, '/') ? strrchr(f->module, '/') + 1
                                                                : f->module,
                (unsigned long long)f->module_offset);
    else
        fprintf(out, " (0x%llx)", (unsigned long long)f->pc);
    if (f->inlined)
        fprintf(out, " [inlined]");
    fputc('\n', out);
}

static void stack(FILE *out, const struct ls_fstack *s)
{
    if (s->n == 0) {
        fprintf(out, "    <no stack recorded>\n");
        return;
    }
    size_t folded = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->frames[i].collapsed)
            folded++;
        else
            frame_line(out, i, &s->frames[i]);
    }
    /* Under Python frames, the interpreter's own: counted, not shown (the
     * JSON and HTML reports have them). */
    if (folded)
        fprintf(out, "    (%zu native frame%s of the interpreter)\n", folded,
                folded == 1 ? "" : "s");
}

static void short_thread(FILE *out, uint32_t tid)
{
    if (tid == 1)
        fprintf(out, "main thread");
    else if (tid)
        fprintf(out, "thread T%u", tid - 1);
    else
        fprintf(out, "an untraced thread");
}

static void threads_section(FILE *out, const struct ls_fthread *const *ts, size_t n)
{
    fprintf(out, "  Threads:\n");
    for (size_t i = 0; i < n; i++) {
        const struct ls_fthread *t = ts[i];
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= ts[j]->tid == t->tid;
        if (seen)
            continue;
        fprintf(out, "  ");
        on(out, C_THREAD);
        thread_name(out, t);
        if (t->tid == 1) {
            fprintf(out, " (the process's first thread)");
            off(out);
            fputc('\n', out);
            continue;
        }
        fprintf(out, " (tid=%u) created by ", t->os_tid);
        short_thread(out, t->parent);
        fprintf(out, " at:");
        off(out);
        fputc('\n', out);
        stack(out, &t->created_at);
    }
}

static void header(FILE *out, const struct ls_report *r, const struct ls_finding *f)
{
    const struct ls_fprocess *p = &r->procs[f->proc];
    fprintf(out, "==================\n");
    on(out, C_WARNING);
    fprintf(out, "WARNING: lockscope: %s (pid=%u)", ls_finding_title(f->kind), p->pid);
    off(out);
    fputc('\n', out);
    if (r->nprocs > 1)
        fprintf(out, "  In process %u: %s\n", p->pid, p->cmdline);
}

static void footer(FILE *out, const struct ls_finding *f)
{
    fputc('\n', out);
    on(out, C_BOLD);
    fprintf(out, "SUMMARY: lockscope: %s", ls_finding_title(f->kind));
    if (f->summary) {
        if (f->summary->file)
            fprintf(out, " %s:%d", f->summary->file, f->summary->line);
        fprintf(out, " in %s", f->summary->function ? f->summary->function : "<unknown>");
    }
    fprintf(out, " [%s]", f->id);
    off(out);
    fputc('\n', out);
    /* ls_report_text closes the block, after the lines about gating. */
}

static void deadlock(FILE *out, const struct ls_report *r, const struct ls_finding *f)
{
    header(out, r, f);
    const struct ls_fthread *ts[64];
    size_t nts = 0;
    for (size_t i = 0; i < f->nwaiters; i++) {
        const struct ls_fwaiter *w = &f->waiters[i];
        fprintf(out, "  ");
        on(out, C_ACCESS);
        thread_name(out, &w->thread);
        struct strbuf sb;
        sb_init(&sb);
        ls_describe_wait(&sb, f, w);
        int gone = w->wait && !strcmp(w->wait, "exited");
        fprintf(out, gone ? "%s:" : "%s, here:", sb.buf);
        off(out);
        fputc('\n', out);
        sb_free(&sb);
        if (!gone)
            stack(out, &w->wait_stack);
        for (size_t j = 0; j < w->nheld; j++) {
            fprintf(out, "  It holds ");
            paint(out, C_LOCK, f->locks[w->held[j].lock].label);
            fprintf(out, ", acquired here:\n");
            stack(out, &w->held[j].stack);
        }
        fputc('\n', out);
        if (nts < 64)
            ts[nts++] = &w->thread;
    }
    threads_section(out, ts, nts);
    fprintf(out, "\n  What happened: %s\n", f->reason);
    if (f->related[0])
        fprintf(out, "  The same locks form the lock-order cycle reported as %s.\n", f->related);
    footer(out, f);
}

static void misuse(FILE *out, const struct ls_report *r, const struct ls_finding *f)
{
    header(out, r, f);
    fprintf(out, "  Rule: %s\n  ", f->rule);
    on(out, C_ACCESS);
    fputs("In ", out);
    thread_name(out, &f->thread);
    fprintf(out, ", here:");
    off(out);
    fputc('\n', out);
    stack(out, &f->stack);
    if (f->stack2.n && f->other.tid) /* "T1 took the lock here" */
        fprintf(out, "  Meanwhile, %s:\n", f->stack2_what);
    else if (f->stack2.n)
        fprintf(out, "  Before that, %s:\n", f->stack2_what);
    if (f->stack2.n)
        stack(out, &f->stack2);
    fprintf(out, "\n  What happened: %s\n", f->reason);
    footer(out, f);
}

static void race(FILE *out, const struct ls_report *r, const struct ls_finding *f)
{
    header(out, r, f);
    for (int i = 0; i < 2; i++) {
        const struct ls_faccess *a = &f->access[i];
        const char *kind = a->write ? (a->read ? "read-modify-write" : "write") : "read";
        fputs("  ", out);
        on(out, C_ACCESS);
        if (i == 0)
            fprintf(out, "%c%s", kind[0] - 'a' + 'A', kind + 1);
        else
            fprintf(out, "Conflicting %s", kind);
        if (a->inexact)
            fprintf(out, " of some of the %llu bytes at 0x%llx (", (unsigned long long)a->size,
                    (unsigned long long)a->addr);
        else
            fprintf(out, " of size %llu at 0x%llx (", (unsigned long long)a->size,
                    (unsigned long long)a->addr);
        off(out);
        paint(out, C_LOCATION, a->where);
        on(out, C_ACCESS);
        fprintf(out, "%s) by ", a->inexact ? "; its address could not be computed" : "");
        thread_name(out, &a->thread);
        off(out);
        if (a->nheld == 0) {
            fprintf(out, ", holding no lock:\n");
        } else {
            fprintf(out, ", holding ");
            for (size_t j = 0; j < a->nheld; j++) {
                fputs(j ? ", " : "", out);
                paint(out, C_LOCK, f->locks[a->held[j]].label);
            }
            fprintf(out, ":\n");
        }
        stack(out, &a->stack);
        fputc('\n', out);
    }
    fputs("  ", out);
    on(out, C_LOCATION);
    if (f->var.description) {
        if (f->var.field)
            fprintf(out, "Location is `%s`, in %s", f->var.field, f->var.description);
        else
            fprintf(out, "Location is %s", f->var.description);
        fputs(f->var.alloc_stack.n ? " at:" : ".", out);
        off(out);
        fputs("\n", out);
        if (f->var.alloc_stack.n)
            stack(out, &f->var.alloc_stack);
        fputs("\n", out);
    } else {
        fprintf(out, "Location is global '%s' of size %llu at 0x%llx.", f->var.name,
                (unsigned long long)f->var.size, (unsigned long long)f->var.addr);
        off(out);
        fputs("\n\n", out);
    }
    const struct ls_fthread *ts[2] = {&f->access[0].thread, &f->access[1].thread};
    threads_section(out, ts, 2);
    fprintf(out, "\n  Why this is a race: %s\n", f->reason);
    footer(out, f);
}

static void lock_order(FILE *out, const struct ls_report *r, const struct ls_finding *f)
{
    header(out, r, f);
    fprintf(out, "  Cycle in lock order graph: ");
    for (size_t i = 0; i < f->nlocks; i++) {
        paint(out, C_LOCK, f->locks[i].label);
        fputs(" => ", out);
    }
    paint(out, C_LOCK, f->locks[0].label);
    fputs("\n\n", out);
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        const struct ls_flock *from = &f->locks[e->from], *to = &f->locks[e->to];
        fprintf(out, "  %s acquires ", i == 0 ? "First," : "Then,");
        paint(out, C_LOCK, to->label);
        fputs(" while holding ", out);
        paint(out, C_LOCK, from->label);
        fputs(":\n  ", out);
        paint(out, C_LOCK, to->label);
        fputs(" requested in ", out);
        on(out, C_ACCESS);
        thread_name(out, &e->thread);
        off(out);
        fprintf(out, "%s:\n", e->timed ? " (with a timeout)" : "");
        stack(out, &e->to_stack);
        fputs("  ", out);
        paint(out, C_LOCK, from->label);
        fprintf(out, " acquired earlier by the same thread%s:\n",
                e->from_approx ? " (outer frames: where its caller is now)" : "");
        stack(out, &e->from_stack);
        fputc('\n', out);
    }
    fprintf(out, "  Locks:\n");
    for (size_t i = 0; i < f->nlocks; i++) {
        const struct ls_flock *l = &f->locks[i];
        fputs("    ", out);
        paint(out, C_LOCK, l->label);
        fprintf(out, ": %s at 0x%llx", l->kind, (unsigned long long)l->addr);
        if (l->site.n == 0) {
            fprintf(out, ", statically initialized\n");
            continue;
        }
        fprintf(out, ", %s at:\n", l->site_is_init ? "initialized" : "first locked");
        stack(out, &l->site);
    }
    fputc('\n', out);
    const struct ls_fthread *ts[64];
    size_t nts = 0;
    for (size_t i = 0; i < f->nedges && nts < 64; i++)
        ts[nts++] = &f->edges[i].thread;
    threads_section(out, ts, nts);
    fprintf(out, "\n  Why this can deadlock: %s\n", f->reason);
    if (f->related[0])
        fprintf(out, "  It happened in this run: see the deadlock reported as %s.\n", f->related);
    footer(out, f);
}

/* After each finding: how it stands against the baseline, whether it fails
 * the run, and the suppression line that would silence it. */
/* The test it ran in, and every other process it was seen in. */
static void seen(FILE *out, const struct ls_report *r, const struct ls_finding *f,
                 const struct ls_report_ctx *c)
{
    if (r->nprocs < 2)
        return;
    char *test = NULL;
    size_t ti = ls_rtest(r, c, f->proc, &test);
    if (ti != f->proc)
        fprintf(out, "  In test: %s (process %u)\n", test, r->procs[ti].pid);
    free(test);
    if (f->nseen < 2)
        return;
    fprintf(out, "  Seen in %zu processes:", f->nseen);
    for (size_t k = 0; k < f->nseen && k < 5; k++) {
        const struct ls_fprocess *p = &r->procs[f->seen[k].proc];
        fprintf(out, "%s pid %u (%s)", k ? "," : "", p->pid, ls_rproc_command(p));
        if (f->seen[k].count > 1)
            fprintf(out, " %zu times", f->seen[k].count);
    }
    if (f->nseen > 5)
        fprintf(out, ", and %zu more (the JSON report lists them all)", f->nseen - 5);
    fputc('\n', out);
}

static void gating(FILE *out, const struct ls_finding *f, const struct ls_rfinding *x,
                   const struct ls_report_ctx *c)
{
    if (x && x->baseline == LS_BASELINE_NEW)
        fprintf(out, "  New: not in the baseline '%s'.\n", c->baseline_file);
    else if (x && x->baseline == LS_BASELINE_KNOWN)
        fprintf(out, "  Known: in the baseline '%s'; it does not fail the run.\n",
                c->baseline_file);
    if (x && !x->fails && x->baseline != LS_BASELINE_KNOWN)
        fprintf(out, "  It does not fail the run: --fail-on does not include %s.\n",
                ls_finding_kind_name(f->kind));
    if (x && x->suppress)
        fprintf(out, "  Suppress it with this line in a --suppressions file: %s\n", x->suppress);
    fprintf(out, "==================\n");
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* The contention profile: information, after the findings. */
static void profile(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    size_t top = c ? (size_t)c->profile_top : 5;
    size_t shown = 0;
    for (size_t i = 0; i < r->nprofiles && shown < top; i++) {
        const struct ls_fprofile *p = &r->profiles[i];
        if (p->contended == 0)
            break; /* sorted by wait: nobody waited for the rest */
        if (shown++ == 0)
            fprintf(out, "lockscope: contention profile, locks waited for longest:\n");
        fprintf(out, "  %s", p->lock.label);
        if (r->nprocs > 1)
            fprintf(out, " (pid %u)", r->procs[p->proc].pid);
        fprintf(out, ": %llu acquisitions, %llu waited (%.0f%%), %llu owner changes;"
                     " waits %.3f ms in all, %.3f ms at most; held ~%.3f ms in all, %.3f ms at "
                     "most\n",
                (unsigned long long)p->acquisitions, (unsigned long long)p->contended,
                p->acquisitions ? 100.0 * (double)p->contended / (double)p->acquisitions : 0.0,
                (unsigned long long)p->owner_changes, ms(p->wait_ns), ms(p->wait_max_ns),
                ms(p->hold_est_ns), ms(p->hold_max_ns));
        if (p->nsites) {
            const struct ls_fframe *f = ls_fstack_user_frame(&p->sites[0].stack);
            fprintf(out, "    waited most at %s", f && f->function ? f->function : "<unknown>");
            if (f && f->file)
                fprintf(out, " %s:%d", f->file, f->line);
            fprintf(out, " (%llu waits, %.3f ms)\n", (unsigned long long)p->sites[0].waits,
                    ms(p->sites[0].wait_ns));
        }
    }
    uint64_t limit = c ? c->long_hold_ns : 1000000000u;
    for (size_t i = 0; limit && i < r->nprofiles; i++) {
        const struct ls_fprofile *p = &r->profiles[i];
        if (p->hold_max_ns > limit)
            fprintf(out, "lockscope: info: %s was held for %.1f ms at once (a long hold; not a "
                         "finding)\n",
                    p->lock.label, ms(p->hold_max_ns));
    }
}

static void totals(FILE *out, const struct ls_report_ctx *c)
{
    if (c->supp_file) {
        fprintf(out, "lockscope: suppressions '%s': %zu finding%s suppressed\n", c->supp_file,
                c->suppressed, c->suppressed == 1 ? "" : "s");
        for (size_t i = 0; i < c->nsupps; i++)
            fprintf(out, "lockscope:   line %d: %s matched %zu time%s\n", c->supps[i].line,
                    c->supps[i].text, c->supps[i].hits, c->supps[i].hits == 1 ? "" : "s");
    }
    if (c->baseline_file)
        fprintf(out, "lockscope: baseline '%s': %zu new, %zu known, %zu gone\n", c->baseline_file,
                c->baseline_new, c->baseline_known, c->baseline_gone);
    for (size_t i = 0; i < c->nnotes; i++)
        fprintf(out, "lockscope: note: %s\n", c->notes[i]);
    if (c->nfx && c->failing < c->nfx)
        fprintf(out, "lockscope: %zu of %zu finding%s fail%s the run\n", c->failing, c->nfx,
                c->nfx == 1 ? "" : "s", c->failing == 1 ? "s" : "");
}

/* What was traced: processes, threads, locks, and the cycles dismissed. */
static void traced(FILE *out, const struct ls_report *r)
{
    size_t threads = 0, locks = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        threads += r->procs[i].nthreads;
        locks += r->procs[i].nlocks;
    }
    fprintf(out, "lockscope: traced %zu process%s (%zu thread%s, %zu lock%s)", r->nprocs,
            r->nprocs == 1 ? "" : "es", threads, threads == 1 ? "" : "s", locks,
            locks == 1 ? "" : "s");
    if (r->dismissed_cycles)
        fprintf(out, "; %zu lock-order cycle%s dismissed: %s", r->dismissed_cycles,
                r->dismissed_cycles == 1 ? "" : "s",
                "one thread, a common gate lock, or threads that never overlap");
    fputc('\n', out);
    struct ls_rcoverage cov;
    ls_rcoverage(r, &cov);
    if (cov.hardly)
        fprintf(out, "lockscope: races were hardly checked: %zu access%s sampled in %zu "
                     "process%s with threads (%zu with watchpoints); races can be missed\n",
                cov.accesses, cov.accesses == 1 ? "" : "es", cov.threaded,
                cov.threaded == 1 ? "" : "es", cov.watched);
    else if (cov.threaded)
        fprintf(out, "lockscope: race checking: %zu of %zu process%s with threads watched, "
                     "%zu access%s sampled on %zu global%s\n",
                cov.watched, cov.threaded, cov.threaded == 1 ? "" : "es", cov.accesses,
                cov.accesses == 1 ? "" : "es", cov.globals, cov.globals == 1 ? "" : "s");
}

/* Data races not checked, or only in part, and why: a clean report must
 * not read as races checked when they were not. */
static void not_judged(FILE *out, const struct ls_report *r)
{
    struct ls_rscope *lines;
    size_t n = ls_rscope_lines(r, &lines);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lines[i].check, "data-race") || lines[i].state == LS_SCOPE_CHECKED)
            continue;
        fprintf(out, "lockscope: note: %s%s\n",
                lines[i].state == LS_SCOPE_NOT_CHECKED ? "not checked: " : "", lines[i].text);
    }
    ls_rscope_free(lines, n);
}

/* The last line: findings by kind, suppressed, and where everything went. */
static void last_line(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    fputs("lockscope: ", out);
    on(out, r->nfindings ? C_WARNING : C_BOLD);
    fprintf(out, "%zu finding%s", r->nfindings, r->nfindings == 1 ? "" : "s");
    off(out);
    enum ls_finding_kind kinds[LS_RCTX_MAX_LIST];
    size_t nk = ls_rkinds(kinds, LS_RCTX_MAX_LIST), shown = 0;
    for (size_t k = 0; k < nk; k++) {
        size_t n = 0;
        for (size_t i = 0; i < r->nfindings; i++)
            n += r->findings[i].kind == kinds[k];
        if (n)
            fprintf(out, "%s%zu %s", shown++ ? ", " : " (", n, ls_finding_kind_name(kinds[k]));
    }
    if (shown)
        fputc(')', out);
    fprintf(out, ", %zu suppressed", c ? c->suppressed : 0);
    if (c && c->signal > 0)
        fprintf(out, "; the program was killed by signal %d (%s)", c->signal,
                strsignal(c->signal));
    else if (c && c->status >= 0)
        fprintf(out, "; the program exited with status %d", c->status);
    if (c && c->trace_dir)
        fprintf(out, "; traces in '%s'", c->trace_dir);
    for (size_t i = 0; c && i < c->nwritten; i++)
        fprintf(out, "; %s report in '%s'", c->written[i].format, c->written[i].path);
    fputc('\n', out);
}

void ls_report_text(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    colored = c && c->color;
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct ls_finding *f = &r->findings[i];
        if (f->kind == LS_FIND_DEADLOCK || f->kind == LS_FIND_STALL)
            deadlock(out, r, f);
        else if (f->kind == LS_FIND_MISUSE)
            misuse(out, r, f);
        else if (f->kind == LS_FIND_RACE)
            race(out, r, f);
        else
            lock_order(out, r, f);
        seen(out, r, f, c);
        gating(out, f, c && i < c->nfx ? &c->fx[i] : NULL, c);
    }
    traced(out, r);
    not_judged(out, r);
    profile(out, r, c);
    if (c)
        totals(out, c);
    last_line(out, r, c);
    colored = 0;
}
