/*
 * Shared pieces of the lockscope command (main.c, run.c): the options both
 * subcommands take, analyzing traces, and finishing a run (gating the
 * findings, writing the reports).  The command is the top room: it uses
 * the analyzer (findings.h), the gate (suppress.h, baseline.h) and the
 * report writers (reports.h); nothing below includes this.
 */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "baseline.h"
#include "findings.h"
#include "reports.h"
#include "suppress.h"

/* Options that run and analyze share (the report files, gating). */
struct ls_opts {
    const char *json, *html, *sarif, *junit;
    const char *suppressions;  /* --suppressions, else $LOCKSCOPE_SUPPRESSIONS */
    const char *baseline;
    const char *srcroot;
    int no_html;               /* run: no HTML report in the trace directory */
    int exitcode;
    int exitcode_set;          /* --exitcode given: findings win over a failing program */
    int profile_top;           /* --profile N: locks shown in the text report */
    int long_hold_ms;          /* --long-hold-ms N: holds reported as information */
    const char *color;         /* --color: auto (NULL), always, never */
    int fail_on_all;
    const char *fail_on[LS_RCTX_MAX_LIST];
    size_t nfail_on;
    char *fail_on_buf;

    struct ls_suppressions supp;
    struct ls_baseline base;
    const char *timeline;      /* --timeline FILE: the trace-event JSON timeline */
};

enum {
    LS_OPT_JSON = 256, LS_OPT_HTML, LS_OPT_NO_HTML, LS_OPT_SARIF, LS_OPT_JUNIT,
    LS_OPT_SUPPRESSIONS, LS_OPT_BASELINE, LS_OPT_FAIL_ON, LS_OPT_EXITCODE, LS_OPT_SRCROOT,
    LS_OPT_PROFILE, LS_OPT_LONG_HOLD, LS_OPT_COLOR, LS_OPT_TIMELINE,
};

#define LS_COMMON_OPTIONS                                                  \
    {"json", required_argument, NULL, LS_OPT_JSON},                        \
    {"html", required_argument, NULL, LS_OPT_HTML},                        \
    {"sarif", required_argument, NULL, LS_OPT_SARIF},                      \
    {"junit", required_argument, NULL, LS_OPT_JUNIT},                      \
    {"suppressions", required_argument, NULL, LS_OPT_SUPPRESSIONS},        \
    {"baseline", required_argument, NULL, LS_OPT_BASELINE},                \
    {"fail-on", required_argument, NULL, LS_OPT_FAIL_ON},                  \
    {"exitcode", required_argument, NULL, LS_OPT_EXITCODE},                \
    {"srcroot", required_argument, NULL, LS_OPT_SRCROOT},                  \
    {"profile", required_argument, NULL, LS_OPT_PROFILE},                  \
    {"long-hold-ms", required_argument, NULL, LS_OPT_LONG_HOLD},           \
    {"color", required_argument, NULL, LS_OPT_COLOR},                      \
    {"timeline", required_argument, NULL, LS_OPT_TIMELINE},                \
    {"help", no_argument, NULL, 'h'}

/* Prints the error and the usage, exits with status 2. */
__attribute__((noreturn, format(printf, 1, 2))) void ls_usage_error(const char *fmt, ...);
int ls_parse_exitcode(const char *s);

void ls_opts_init(struct ls_opts *o);
/* Handles getopt_long's result c for the options above; returns 1 if it
 * was one of them, 0 if not; bad arguments are usage errors. */
int ls_opts_handle(struct ls_opts *o, int c, const char *arg, char **argv);
/* Loads the suppressions and the baseline (before anything is run, so a
 * bad file stops lockscope at once); -1 if one cannot be used (reported). */
int ls_opts_load(struct ls_opts *o);
void ls_opts_free(struct ls_opts *o);

/* Reads the traces (files or directories) and runs every check, filling r,
 * and ctx with what the reports say about the run, with a progress line on
 * a terminal.  Returns -1 if a trace could not be read (already reported). */
int ls_analyze(char **args, int n, struct ls_report *r, struct ls_report_ctx *ctx);

/* untraced.c: the programs processes started (exec, vfork + exec,
 * posix_spawn) that wrote no trace, each noted by its path.  _add is
 * called for each process read (its index in the report), _note once. */
struct ls_process;
void ls_untraced_add(size_t proc, const struct ls_process *p);
int ls_untraced_started_self(size_t proc);
void ls_untraced_note(const struct ls_report *r, struct ls_report_ctx *ctx);
/* Applies the suppressions, the baseline and --fail-on, writes the report
 * files, and the text report to text_out (in colour if --color and
 * text_out say so; its last line says where the reports went).  Returns the
 * number of findings that fail the run, or -1 if a report file could not be
 * written. */
int ls_finish(struct ls_opts *o, struct ls_report *r, struct ls_report_ctx *ctx, FILE *text_out);
int ls_cmd_run(int argc, char **argv);

#endif
