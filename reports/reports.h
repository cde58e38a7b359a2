/*
 * Renderers: each formats the analyzer's findings, nothing more.
 *
 * Besides the findings (struct ls_report), every renderer gets the run's
 * context (struct ls_report_ctx): what was run, for how long, what was and
 * was not checked, which suppressions matched, how each finding compares to
 * a baseline, and whether it fails the run.  The command (cli/main.c,
 * run.c) decides all of that; the renderers only print it.  ctx may be NULL:
 * then the reports look as if no option was given.
 */
#ifndef LS_REPORTS_H
#define LS_REPORTS_H

#include <stdint.h>
#include <stdio.h>

#include "findings.h"

enum ls_baseline_state {
    LS_BASELINE_NONE = 0,     /* no --baseline given */
    LS_BASELINE_NEW = 1,      /* not in the baseline: fails the run */
    LS_BASELINE_KNOWN = 2,    /* in the baseline (same id): shown, does not fail */
};

/* Per finding, parallel to ls_report.findings. */
struct ls_rfinding {
    char *suppress;           /* the suppression line that would silence it */
    enum ls_baseline_state baseline;
    int fails;                /* counts toward the exit status */
};

/* Per process, parallel to ls_report.procs. */
struct ls_rproc {
    uint64_t start_ns, end_ns; /* CLOCK_REALTIME; end_ns 0 if it did not end */
    int exit_status;          /* -1 if unknown */
    int execed;               /* the trace ends with an exec */
    char **notes;             /* what the shim or the command noted about it */
    size_t nnotes;
};

/* One suppression rule and how often it matched in this run. */
struct ls_rsupp {
    char *text;               /* "deadlock:eat1", as written (trimmed) */
    char *file;
    int line;
    size_t hits;
};

/* A count per finding kind name. */
struct ls_rcount {
    const char *kind;
    size_t n;
};

#define LS_RCTX_MAX_LIST 16

struct ls_report_ctx {
    char *command;            /* what `lockscope run` ran; NULL for analyze */
    int status;               /* the program's exit status (run), -1 if none */
    int signal;               /* run: the signal that killed it, or 0 */
    double duration_s;        /* wall time of the run, or of the traces; < 0 unknown */

    struct ls_rfinding *fx;   /* [nfx], nfx = report.nfindings once set */
    size_t nfx;
    struct ls_rproc *px;      /* [npx], npx = report.nprocs */
    size_t npx;

    /* What was checked is per process, in the findings (ls_fprocess.scope;
     * merged for the reports by ls_rscope_lines). */
    char **notes;             /* run-wide notes (untraced programs, ...) */
    size_t nnotes;

    char *supp_file;          /* NULL if no suppressions were loaded */
    struct ls_rsupp *supps;
    size_t nsupps;
    size_t suppressed;        /* findings suppressed in all */
    struct ls_rcount suppressed_by_kind[LS_RCTX_MAX_LIST];
    size_t nsuppressed_kinds;

    char *baseline_file;      /* NULL if no baseline */
    size_t baseline_new, baseline_known, baseline_gone;

    const char *fail_on[LS_RCTX_MAX_LIST]; /* kind names that fail the run */
    size_t nfail_on;
    int fail_on_all;          /* --fail-on not given (or "all") */
    size_t failing;           /* findings that fail the run */

    char *srcroot;            /* SARIF: source root for relative URIs, or NULL */
    int profile_top;          /* text: locks of the contention profile shown (0: none) */
    uint64_t long_hold_ns;    /* holds longer than this are listed as information */
    char *html_path;          /* where the HTML report goes, or NULL */

    /* The text report only: */
    int color;                /* ANSI colours (the command decided: a terminal, --color) */
    char *trace_dir;          /* run: where the traces are, for the last line; or NULL */
    struct ls_rwritten {      /* the report files written, for the last line */
        const char *format;   /* "HTML", "JSON", "SARIF", "JUnit" */
        const char *path;
    } written[8];
    size_t nwritten;
};

void ls_report_ctx_free(struct ls_report_ctx *c);

/* The terminal report: a ThreadSanitizer-style block per finding (each
 * followed by the suppression line that would silence it), then what was
 * traced, the profile, the suppressions that matched and the baseline
 * comparison, and last one line: the findings by kind, how many were
 * suppressed, and where the traces and each report file went.  With
 * c->color, in ANSI colours as ThreadSanitizer's reports are. */
void ls_report_text(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c);
/* The JSON report (schema: docs/json-report.md). */
void ls_report_json(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c);
/* One self-contained HTML page (docs/reports.md). */
void ls_report_html(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c);
/* SARIF 2.1.0, for code scanning (docs/reports.md). */
void ls_report_sarif(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c);
/* JUnit XML: one testcase per process (docs/reports.md). */
void ls_report_junit(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c);
/* The timeline as Chrome / Perfetto trace-event JSON (docs/reports.md):
 * a track per thread, lock holds and waits as slices, findings as instant
 * events. */
void ls_report_timeline(FILE *out, const struct ls_report *r, const struct ls_report_ctx *c);

/* Helpers shared by the renderers (report_common.c). */

/* "main" for thread 1, else "T<n>" (n = tid - 1), "?" for 0. */
const char *ls_rthread_label(uint32_t tid, char buf[16]);
/* Finding kinds this build knows, in enum order: fills up to max entries,
 * returns how many. */
size_t ls_rkinds(enum ls_finding_kind *out, size_t max);
/* The finding's primary place: its summary frame, else the first frame
 * with a file in any of its stacks; NULL if none. */
const struct ls_fframe *ls_rprimary(const struct ls_finding *f);
/* The process's command line, or its executable when none was recorded. */
const char *ls_rproc_command(const struct ls_fprocess *p);

/* Process ancestry, from the pids and parent pids of the traced processes
 * (a pid used again later is told apart by start time).
 * ls_rparent: the index of p's traced parent, or -1.
 * ls_rtest: the test p belongs to: the nearest of p and its ancestors that
 * a test runner started (its parent is ctest, prove, a TAP or automake
 * test driver, or the command `lockscope run` started), else p itself;
 * its name in *name (automake's --test-name, else its command line).
 * ls_rtest_like: p did what a test does (started a thread, took a lock, or
 * has a finding), unlike the shell utilities a suite also runs. */
ssize_t ls_rparent(const struct ls_report *r, const struct ls_report_ctx *c, size_t p);
size_t ls_rtest(const struct ls_report *r, const struct ls_report_ctx *c, size_t p,
                char **name);
int ls_rtest_like(const struct ls_report *r, size_t p);

/* How much race checking a run had: over the processes that started a
 * thread (the only ones that can race), how many had watchpoints and how
 * many accesses were sampled.  hardly: fewer sampled accesses than such
 * processes, or none watched; races were then hardly checked. */
struct ls_rcoverage {
    size_t threaded, watched, accesses;
    size_t globals;           /* (process, global) pairs with a plain access sampled */
    int hardly;
};
void ls_rcoverage(const struct ls_report *r, struct ls_rcoverage *out);

/* One line of the "checked" or "not checked" lists: one check in one
 * state, over the processes in that state (scope.c). */
struct ls_rscope {
    const char *check, *title;
    enum ls_scope_state state;
    size_t *procs;            /* the processes (indexes into the report) */
    size_t nprocs;
    char *text;               /* for people: the title and what was covered or why not */
};
/* The lines for r, checks in the order they ran, a line per check and
 * state; returns how many (*out freed with ls_rscope_free). */
size_t ls_rscope_lines(const struct ls_report *r, struct ls_rscope **out);
void ls_rscope_free(struct ls_rscope *v, size_t n);
/* The k-th process's own entry of line l. */
const struct ls_fscope *ls_rscope_entry(const struct ls_report *r, const struct ls_rscope *l,
                                        size_t k);

#endif
