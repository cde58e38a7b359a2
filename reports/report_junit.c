/*
 * The JUnit XML report, in the shape GitLab, Jenkins and GitHub test
 * reporters read: <testsuites><testsuite><testcase><failure>.  One testcase
 * for the command lockscope run started and for each traced process that did
 * what a test does (a thread, a lock, a finding; not the shell utilities of a
 * suite), named by its command line after the test it ran in; failed when a
 * finding seen in it fails the run; the failure carries those findings.
 * Findings that do not fail the run (known in the baseline, or of a kind
 * --fail-on leaves out) are listed in the testcase's system-out.
 */
#define _GNU_SOURCE
#include "escape.h"
#include "reports.h"

#include <stdlib.h>
#include <string.h>

static void x(FILE *out, const char *s)
{
    ls_esc_xml(out, s);
}

static int fails(const struct ls_report_ctx *c, size_t i)
{
    return !c || i >= c->nfx || c->fx[i].fails;
}

static void place(struct strbuf *sb, const struct ls_fframe *f)
{
    if (!f)
        return;
    sb_printf(sb, " at %s", f->function ? f->function : "<unknown>");
    if (f->file)
        sb_printf(sb, " (%s:%d)", f->file, f->line);
}

/* The short line for a failure's message attribute and lists. */
static void one_line(struct strbuf *sb, const struct ls_finding *f)
{
    sb_printf(sb, "%s [%s]", ls_finding_title(f->kind), f->id);
    if (f->nedges && f->nlocks) {
        sb_adds(sb, ": ");
        for (size_t i = 0; i < f->nlocks; i++)
            sb_printf(sb, "%s => ", f->locks[i].label);
        sb_adds(sb, f->locks[0].label);
    }
    place(sb, ls_rprimary(f));
}

static void stack_text(struct strbuf *sb, const char *what, const struct ls_fstack *s)
{
    sb_printf(sb, "  %s:\n", what);
    if (!s->n)
        sb_adds(sb, "    <no stack recorded>\n");
    for (size_t i = 0; i < s->n; i++) {
        const struct ls_fframe *f = &s->frames[i];
        sb_printf(sb, "    #%zu %s", i, f->function ? f->function : "<unknown>");
        if (f->file)
            sb_printf(sb, " %s:%d", f->file, f->line);
        if (f->module)
            sb_printf(sb, " (%s+0x%llx)", ls_basename(f->module),
                      (unsigned long long)f->module_offset);
        sb_adds(sb, "\n");
    }
}

static void thread_str(struct strbuf *sb, const struct ls_fthread *t)
{
    char b[16];
    sb_adds(sb, ls_rthread_label(t->tid, b));
    if (t->name)
        sb_printf(sb, " \"%s\"", t->name);
}

/* A finding in full, as the body of a failure. */
static void details(struct strbuf *sb, const struct ls_finding *f, const struct ls_rfinding *xf)
{
    one_line(sb, f);
    sb_adds(sb, "\n");
    if (f->reason)
        sb_printf(sb, "  %s\n", f->reason);
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        struct strbuf w;
        sb_init(&w);
        thread_str(&w, &e->thread);
        sb_printf(&w, " requests %s while holding %s", f->locks[e->to].label,
                  f->locks[e->from].label);
        stack_text(sb, w.buf, &e->to_stack);
        sb_free(&w);
        sb_init(&w);
        sb_printf(&w, "%s acquired", f->locks[e->from].label);
        stack_text(sb, w.buf, &e->from_stack);
        sb_free(&w);
    }
    for (size_t i = 0; i < f->nwaiters; i++) {
        const struct ls_fwaiter *wt = &f->waiters[i];
        struct strbuf w;
        sb_init(&w);
        thread_str(&w, &wt->thread);
        ls_describe_wait(&w, f, wt);
        stack_text(sb, w.buf, &wt->wait_stack);
        sb_free(&w);
        for (size_t j = 0; j < wt->nheld; j++) {
            sb_init(&w);
            sb_printf(&w, "it holds %s, acquired", f->locks[wt->held[j].lock].label);
            stack_text(sb, w.buf, &wt->held[j].stack);
            sb_free(&w);
        }
    }
    for (int i = 0; i < 2; i++) {
        const struct ls_faccess *a = &f->access[i];
        if (!a->stack.n)
            continue;
        struct strbuf w;
        sb_init(&w);
        thread_str(&w, &a->thread);
        sb_printf(&w, " %s %s", a->write ? "writes" : "reads",
                  a->where ? a->where : f->var.name ? f->var.name : "it");
        stack_text(sb, w.buf, &a->stack);
        sb_free(&w);
    }
    if (f->stack.n) {
        struct strbuf w;
        sb_init(&w);
        thread_str(&w, &f->thread);
        sb_printf(&w, " calls%s%s%s", f->rule ? " (rule " : "", f->rule ? f->rule : "",
                  f->rule ? ")" : "");
        stack_text(sb, w.buf, &f->stack);
        sb_free(&w);
    }
    if (f->stack2.n)
        stack_text(sb, f->stack2_what ? f->stack2_what : "before that", &f->stack2);
    if (xf && xf->suppress)
        sb_printf(sb, "  suppress with: %s\n", xf->suppress);
    sb_adds(sb, "\n");
}

static double proc_seconds(const struct ls_report_ctx *c, size_t i)
{
    if (!c || i >= c->npx || !c->px[i].start_ns || c->px[i].end_ns <= c->px[i].start_ns)
        return 0;
    return (double)(c->px[i].end_ns - c->px[i].start_ns) / 1e9;
}

/* Finding f was seen in process p. */
static int seen_in(const struct ls_finding *f, size_t p)
{
    for (size_t k = 0; k < f->nseen; k++)
        if (f->seen[k].proc == p)
            return 1;
    return f->nseen == 0 && f->proc == p;
}

/* A testcase for the command lockscope run started and for every process
 * that did what a test does; not for the shell utilities around them. */
static int listed(const struct ls_report *r, const struct ls_report_ctx *c, size_t p)
{
    return ls_rparent(r, c, p) < 0 || ls_rtest_like(r, p);
}

void ls_report_junit(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c)
{
    size_t failures = 0, tests = 0;
    for (size_t p = 0; p < r->nprocs; p++) {
        if (!listed(r, c, p))
            continue;
        tests++;
        int bad = 0;
        for (size_t i = 0; i < r->nfindings && !bad; i++)
            bad = seen_in(&r->findings[i], p) && fails(c, i);
        failures += bad;
    }
    double total = c && c->duration_s >= 0 ? c->duration_s : 0;
    const char *suite = c && c->command ? c->command
                        : r->nprocs    ? ls_rproc_command(&r->procs[0])
                                       : "lockscope";
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    size_t skipped = r->nprocs ? 0 : 1;
    if (!r->nprocs)
        tests = 1;
    fprintf(out, "<testsuites name=\"lockscope\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
                 "skipped=\"%zu\" time=\"%.3f\">\n",
            tests, failures, skipped, total);
    fputs("  <testsuite name=\"lockscope: ", out);
    x(out, suite);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
            tests, failures, skipped, total);
    fputs("    <properties>\n", out);
    fprintf(out, "      <property name=\"findings\" value=\"%zu\"/>\n", r->nfindings);
    fprintf(out, "      <property name=\"suppressed\" value=\"%zu\"/>\n", c ? c->suppressed : 0);
    if (c && c->baseline_file) {
        fputs("      <property name=\"baseline\" value=\"", out);
        x(out, c->baseline_file);
        fputs("\"/>\n", out);
    }
    fputs("    </properties>\n", out);
    if (r->nprocs == 0) {
        /* Nothing was traced (a static or set-uid program): say so as a
         * skipped test rather than an empty suite. */
        fputs("    <testcase classname=\"lockscope\" name=\"", out);
        x(out, suite);
        fputs("\" time=\"0\">\n      <skipped message=\"", out);
        x(out, c && c->nnotes ? c->notes[0] : "no process was traced");
        fputs("\"/>\n    </testcase>\n", out);
    }

    /* Each listed process's testcase name: a process inside a test has the
     * test's name first. */
    size_t unlisted = 0;
    char **names = xcalloc(r->nprocs + 1, sizeof *names);
    size_t *tests_of = xcalloc(r->nprocs + 1, sizeof *tests_of);
    for (size_t p = 0; p < r->nprocs; p++) {
        if (!listed(r, c, p))
            continue;
        char *test = NULL;
        tests_of[p] = ls_rtest(r, c, p, &test);
        struct strbuf sb;
        sb_init(&sb);
        if (tests_of[p] != p && test)
            sb_printf(&sb, "%s > ", test);
        sb_adds(&sb, ls_rproc_command(&r->procs[p]));
        names[p] = sb_detach(&sb);
        free(test);
    }
    for (size_t p = 0; p < r->nprocs; p++) {
        const struct ls_fprocess *pr = &r->procs[p];
        const char *cmd = ls_rproc_command(pr);
        if (!names[p]) {
            unlisted++;
            continue;
        }
        /* The same name twice (a test run twice) gets a suffix, so that
         * reporters do not merge the testcases. */
        size_t dup = 0;
        for (size_t q = 0; q < p; q++)
            dup += names[q] && !strcmp(names[q], names[p]);
        size_t ti = tests_of[p];
        char *test = NULL;
        if (ti != p)
            ls_rtest(r, c, p, &test);
        fputs("    <testcase classname=\"lockscope.", out);
        x(out, pr->exe && *pr->exe ? ls_basename(pr->exe) : "process");
        fputs("\" name=\"", out);
        x(out, names[p]);
        if (dup)
            fprintf(out, " (%zu)", dup + 1);
        fprintf(out, "\" time=\"%.3f\">\n", proc_seconds(c, p));

        struct strbuf fail_body, fail_msg, other;
        sb_init(&fail_body);
        sb_init(&fail_msg);
        sb_init(&other);
        size_t nfail = 0, nother = 0;
        for (size_t i = 0; i < r->nfindings; i++) {
            const struct ls_finding *f = &r->findings[i];
            if (!seen_in(f, p))
                continue;
            const struct ls_rfinding *xf = c && i < c->nfx ? &c->fx[i] : NULL;
            if (fails(c, i)) {
                if (!nfail++)
                    one_line(&fail_msg, f);
                details(&fail_body, f, xf);
            } else {
                nother++;
                sb_adds(&other, xf && xf->baseline == LS_BASELINE_KNOWN
                                    ? "known (in the baseline): "
                                    : "not failing (--fail-on): ");
                one_line(&other, f);
                sb_adds(&other, "\n");
            }
        }
        if (nfail) {
            if (nfail > 1)
                sb_printf(&fail_msg, " (and %zu more)", nfail - 1);
            const char *type = "lockscope";
            for (size_t i = 0; i < r->nfindings; i++)
                if (seen_in(&r->findings[i], p) && fails(c, i)) {
                    type = ls_finding_kind_name(r->findings[i].kind);
                    break;
                }
            fputs("      <failure message=\"", out);
            x(out, fail_msg.buf);
            fputs("\" type=\"", out);
            x(out, type);
            fputs("\">", out);
            x(out, fail_body.buf);
            fputs("</failure>\n", out);
        }
        fputs("      <system-out>", out);
        struct strbuf so;
        sb_init(&so);
        sb_printf(&so, "process %u (parent %u): %s\n", pr->pid, pr->ppid, cmd);
        if (test && ti != p)
            sb_printf(&so, "in test: %s (process %u)\n", test, r->procs[ti].pid);
        free(test);
        sb_printf(&so, "%zu thread%s, %zu lock%s; %s\n", pr->nthreads,
                  pr->nthreads == 1 ? "" : "s", pr->nlocks, pr->nlocks == 1 ? "" : "s",
                  pr->ended ? "ended normally" : "did not end normally");
        if (nother)
            sb_adds(&so, other.buf);
        for (size_t j = 0; c && p < c->npx && j < c->px[p].nnotes; j++)
            sb_printf(&so, "note: %s\n", c->px[p].notes[j]);
        x(out, so.buf);
        fputs("</system-out>\n", out);
        fputs("    </testcase>\n", out);
        sb_free(&so);
        sb_free(&fail_body);
        sb_free(&fail_msg);
        sb_free(&other);
    }
    for (size_t p = 0; p < r->nprocs; p++)
        free(names[p]);
    free(names);
    free(tests_of);
    fputs("    <system-out>", out);
    struct strbuf so;
    sb_init(&so);
    sb_printf(&so, "lockscope: %zu finding%s, %zu failing the run, %zu suppressed\n",
              r->nfindings, r->nfindings == 1 ? "" : "s", c ? c->failing : r->nfindings,
              c ? c->suppressed : 0);
    if (unlisted)
        sb_printf(&so, "%zu other process%s (no thread, no lock, no finding: shell utilities "
                       "and the like) not listed as testcases\n",
                  unlisted, unlisted == 1 ? "" : "es");
    for (size_t i = 0; c && i < c->nnotes; i++)
        sb_printf(&so, "note: %s\n", c->notes[i]);
    for (size_t i = 0; c && i < c->nsupps; i++)
        sb_printf(&so, "suppression %s:%d %s matched %zu\n", c->supps[i].file, c->supps[i].line,
                  c->supps[i].text, c->supps[i].hits);
    x(out, so.buf);
    sb_free(&so);
    fputs("</system-out>\n  </testsuite>\n</testsuites>\n", out);
}
