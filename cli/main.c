/*
 * The lockscope command: `run` a program under the shim and report, or
 * `analyze` existing traces.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "cli.h"
#include "reports.h"
#include "terminal.h"
#include "util.h"

static const char usage_text[] =
    "usage: lockscope run [OPTIONS] [--out DIR] [--no-html] [--] PROGRAM [ARGS...]\n"
    "       lockscope analyze [OPTIONS] TRACE_OR_DIR...\n"
    "       lockscope --help | --version\n"
    "\n"
    "  run       run PROGRAM with liblockscope.so preloaded (it and every process it\n"
    "            starts), then analyze the traces and report on stderr; an HTML\n"
    "            report is written into the trace directory\n"
    "  analyze   analyze trace files, or every *.trace file in a directory\n"
    "\n"
    "  --out DIR            where the traces go (created if missing; an earlier run's\n"
    "                       traces there are removed; it must be yours and\n"
    "                       writable by nobody else; default: a new private\n"
    "                       directory under $TMPDIR)\n"
    "  --no-html            run: no HTML report in the trace directory\n"
    "\n"
    "OPTIONS (docs/reports.md):\n"
    "  --json FILE          also write the findings as JSON (docs/json-report.md)\n"
    "  --html FILE          write a self-contained HTML report to FILE\n"
    "  --sarif FILE         write SARIF 2.1.0 (for code scanning)\n"
    "  --junit FILE         write JUnit XML: one testcase per test process\n"
    "  --srcroot DIR        SARIF: source paths relative to DIR (default: the\n"
    "                       current directory)\n"
    "  --suppressions FILE  hide findings matched by FILE's race:, deadlock: and\n"
    "                       misuse: lines (default: $LOCKSCOPE_SUPPRESSIONS, else\n"
    "                       suppressions=FILE in $LOCKSCOPE_OPTIONS)\n"
    "  --baseline OLD.json  only findings not in this earlier JSON report fail\n"
    "  --fail-on KINDS      comma list of finding kinds that fail the run (default:\n"
    "                       all, which is every kind but lock-order-latent; also\n"
    "                       'none'): lock-order-cycle, deadlock, ...\n"
    "  --exitcode N         exit status when something fails the run (default 66;\n"
    "                       given, it also replaces a failing program's status)\n"
    "  --profile N          the text report ends with the N locks waited for\n"
    "                       longest (default 5; 0: none); JSON has them all\n"
    "  --long-hold-ms N     list locks held longer than N ms (default 1000) as\n"
    "                       information, not findings\n"
    "  --color WHEN         colour the text report: auto (the default: only on a\n"
    "                       terminal, not with NO_COLOR set or TERM=dumb), always,\n"
    "                       never\n"
    "  --timeline FILE      write what each thread did (lock holds, waits, findings)\n"
    "                       as Chrome/Perfetto trace-event JSON; run: also records\n"
    "                       it (LOCKSCOPE_OPTIONS=timeline=4096 unless set)\n"
    "\n"
    "While it analyzes, lockscope shows a progress line on stderr if that is a\n"
    "terminal and the analysis takes longer than half a second.\n"
    "\n"
    "exit status: the program's own status (run) or 0 (analyze) when nothing fails\n"
    "the run; 66 or --exitcode N when a finding does (run: a program that failed by\n"
    "itself keeps its own status, unless --exitcode is given); 2 for a usage error, a trace\n"
    "that cannot be read, a bad suppressions or baseline file, or a report file that\n"
    "cannot be written.\n";

void ls_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lockscope: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n\n%s", usage_text);
    va_end(ap);
    exit(2);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Trace files are named after their pids (lockscope.PID[.N].trace): compared
 * as numbers, so that processes come in the order they were started even
 * when the pids grow a digit (9989 before 10007), and the first process a
 * finding was seen in is the one a report shows. */
static int cmp_trace_name(const void *a, const void *b)
{
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* Expands directories into their *.trace files (in pid order). */
static int collect(char **args, int n, char ***out, size_t *nout)
{
    size_t cap = 0;
    *out = NULL;
    *nout = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(args[i], &st) != 0)
            return error("cannot open trace '%s': %s", args[i], strerror(errno));
        if (!S_ISDIR(st.st_mode)) {
            LS_GROW(*out, cap, *nout + 1);
            (*out)[(*nout)++] = xstrdup(args[i]);
            continue;
        }
        DIR *d = opendir(args[i]);
        if (!d)
            return error("cannot read directory '%s': %s", args[i], strerror(errno));
        size_t first = *nout;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".trace"))
                continue;
            struct strbuf sb;
            sb_init(&sb);
            sb_printf(&sb, "%s/%s", args[i], de->d_name);
            LS_GROW(*out, cap, *nout + 1);
            (*out)[(*nout)++] = sb_detach(&sb);
        }
        closedir(d);
        if (*nout == first)
            warning("no trace files in '%s'", args[i]);
        if (*nout - first > 1)
            qsort(*out + first, *nout - first, sizeof **out, cmp_trace_name);
    }
    return 0;
}

static void add_process_info(struct ls_report_ctx *ctx, size_t pi, const struct ls_process *p)
{
    ctx->px = xrealloc(ctx->px, (pi + 1) * sizeof *ctx->px);
    ctx->npx = pi + 1;
    struct ls_rproc *x = &ctx->px[pi];
    memset(x, 0, sizeof *x);
    x->start_ns = p->start_ns;
    x->end_ns = p->ended ? p->end_ns : 0;
    x->exit_status = p->exit_status;
    x->execed = p->execed;
    ls_untraced_add(pi, p);
    for (size_t i = 0; i < p->nnotes; i++) {
        struct strbuf sb;
        sb_init(&sb);
        if (p->notes[i].code == LS_NOTE_DROPPED)
            sb_adds(&sb, "some events were not recorded: ");
        else if (p->notes[i].code == LS_NOTE_DISABLED)
            sb_adds(&sb, "recording stopped: ");
        sb_adds(&sb, p->notes[i].msg ? p->notes[i].msg : "");
        x->notes = xrealloc(x->notes, (x->nnotes + 1) * sizeof *x->notes);
        x->notes[x->nnotes++] = sb_detach(&sb);
    }
}

int ls_analyze(char **args, int n, struct ls_report *r, struct ls_report_ctx *ctx)
{
    char **paths;
    size_t npaths;
    memset(r, 0, sizeof *r);
    if (collect(args, n, &paths, &npaths) != 0)
        return -1;
    uint64_t *sizes = xcalloc(npaths + 1, sizeof *sizes), total = 0;
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        sizes[i] = stat(paths[i], &st) == 0 ? (uint64_t)st.st_size : 0;
        total += sizes[i];
    }
    struct ls_bar bar;
    ls_bar_start(&bar, npaths, total);
    const struct ls_progress pg = {ls_bar_progress, &bar};
    int rc = 0;
    size_t unended = 0, first_unended = 0;
    for (size_t i = 0; i < npaths; i++) {
        ls_bar_trace(&bar, i, sizes[i]);
        struct ls_process *p;
        if (ls_trace_read(paths[i], &p, &pg) != 0) {
            rc = -1;
            continue;
        }
        if (!p->ended && !p->cut && unended++ == 0)
            first_unended = i;
        size_t pi = ls_analyze_process(p, r, &pg);
        add_process_info(ctx, pi, p);
        ls_process_free(p);
    }
    ls_bar_end(&bar);
    /* One line, however many: a test runner kills its helpers by the dozen. */
    if (unended == 1)
        warning("trace '%s' has no end record (the process was killed or is still "
                "running): analyzing what it wrote",
                paths[first_unended]);
    else if (unended > 1)
        warning("%zu traces have no end record (the processes were killed or are still "
                "running), the first '%s': analyzing what they wrote",
                unended, paths[first_unended]);
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    free(sizes);
    return rc;
}

int ls_parse_exitcode(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > 255)
        ls_usage_error("--exitcode needs a number from 0 to 255, not '%s'", s);
    return (int)v;
}

void ls_opts_init(struct ls_opts *o)
{
    memset(o, 0, sizeof *o);
    o->exitcode = 66;
    o->profile_top = 5;
    o->long_hold_ms = 1000;
    o->fail_on_all = 1;
}

void ls_opts_free(struct ls_opts *o)
{
    ls_supp_free(&o->supp);
    ls_baseline_free(&o->base);
    free(o->fail_on_buf);
}

static void parse_fail_on(struct ls_opts *o, const char *arg)
{
    enum ls_finding_kind kinds[LS_RCTX_MAX_LIST];
    size_t nk = ls_rkinds(kinds, LS_RCTX_MAX_LIST);
    struct strbuf known;
    sb_init(&known);
    for (size_t i = 0; i < nk; i++)
        sb_printf(&known, "%s%s", i ? ", " : "", ls_finding_kind_name(kinds[i]));
    free(o->fail_on_buf);
    o->fail_on_buf = xstrdup(arg);
    o->nfail_on = 0;
    o->fail_on_all = 0;
    int none = 0;
    for (char *save = NULL, *k = strtok_r(o->fail_on_buf, ",", &save); k;
         k = strtok_r(NULL, ",", &save)) {
        if (!strcmp(k, "all")) {
            o->fail_on_all = 1;
            continue;
        }
        if (!strcmp(k, "none")) {
            none = 1;
            continue;
        }
        size_t i = 0;
        while (i < nk && strcmp(ls_finding_kind_name(kinds[i]), k) != 0)
            i++;
        if (i == nk)
            ls_usage_error("--fail-on: unknown finding kind '%s' (known: %s; or all, none)", k,
                           known.buf);
        o->fail_on[o->nfail_on++] = ls_finding_kind_name(kinds[i]);
    }
    if (!o->fail_on_all && !none && o->nfail_on == 0)
        ls_usage_error("--fail-on needs a comma-separated list of kinds (known: %s; or all, "
                       "none), not '%s'",
                       known.buf, arg);
    if (none && (o->fail_on_all || o->nfail_on))
        ls_usage_error("--fail-on: 'none' cannot be combined with other kinds in '%s'", arg);
    sb_free(&known);
}

static int parse_count(const char *opt, const char *s, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > max)
        ls_usage_error("%s needs a number from 0 to %ld, not '%s'", opt, max, s);
    return (int)v;
}

int ls_opts_handle(struct ls_opts *o, int c, const char *arg, char **argv)
{
    switch (c) {
    case LS_OPT_JSON: o->json = arg; return 1;
    case LS_OPT_HTML: o->html = arg; return 1;
    case LS_OPT_SARIF: o->sarif = arg; return 1;
    case LS_OPT_JUNIT: o->junit = arg; return 1;
    case LS_OPT_SUPPRESSIONS: o->suppressions = arg; return 1;
    case LS_OPT_BASELINE: o->baseline = arg; return 1;
    case LS_OPT_SRCROOT: o->srcroot = arg; return 1;
    case LS_OPT_FAIL_ON: parse_fail_on(o, arg); return 1;
    case LS_OPT_EXITCODE:
        o->exitcode = ls_parse_exitcode(arg);
        o->exitcode_set = 1;
        return 1;
    case LS_OPT_PROFILE: o->profile_top = parse_count("--profile", arg, 1000000); return 1;
    case LS_OPT_LONG_HOLD:
        o->long_hold_ms = parse_count("--long-hold-ms", arg, 86400000);
        return 1;
    case LS_OPT_TIMELINE: o->timeline = arg; return 1;
    case LS_OPT_COLOR:
        if (!ls_term_color_mode_ok(arg))
            ls_usage_error("--color needs auto, always or never, not '%s'", arg);
        o->color = arg;
        return 1;
    case 'h': fputs(usage_text, stdout); exit(0);
    case ':': ls_usage_error("option '%s' needs an argument", argv[optind - 1]);
    case '?': ls_usage_error("unknown option '%s'", argv[optind - 1]);
    }
    return 0;
}

/* suppressions=FILE in LOCKSCOPE_OPTIONS (the shim's syntax: key=value
 * pairs separated by ':' or blanks; the shim accepts the key and leaves it
 * to the command).  Returns a copy of FILE, or NULL. */
static char *options_suppressions(void)
{
    const char *s = getenv("LOCKSCOPE_OPTIONS");
    static const char key[] = "suppressions=";
    char *found = NULL;
    while (s && *s) {
        s += strspn(s, ": \t\n");
        size_t n = strcspn(s, ": \t\n");
        if (n > sizeof key - 1 && !strncmp(s, key, sizeof key - 1)) {
            free(found); /* the last one counts, as in the shim */
            found = xstrndup(s + sizeof key - 1, n - (sizeof key - 1));
        }
        s += n;
    }
    return found;
}

int ls_opts_load(struct ls_opts *o)
{
    const char *supp = o->suppressions;
    char *from_options = NULL;
    if (!supp) {
        const char *env = getenv("LOCKSCOPE_SUPPRESSIONS");
        if (env && *env)
            supp = env;
        else
            supp = from_options = options_suppressions();
    }
    int bad = supp && ls_supp_load(&o->supp, supp) != 0;
    free(from_options);
    if (bad)
        return -1;
    if (o->baseline && ls_baseline_load(&o->base, o->baseline) != 0)
        return -1;
    return 0;
}

static int kind_fails(const struct ls_opts *o, const char *kind)
{
    if (o->fail_on_all && ls_kind_fails_by_default(kind))
        return 1;
    for (size_t i = 0; i < o->nfail_on; i++)
        if (!strcmp(o->fail_on[i], kind))
            return 1;
    return 0;
}

static void count_kind(struct ls_rcount *c, size_t *n, const char *kind)
{
    for (size_t i = 0; i < *n; i++) {
        if (!strcmp(c[i].kind, kind)) {
            c[i].n++;
            return;
        }
    }
    if (*n < LS_RCTX_MAX_LIST)
        c[(*n)++] = (struct ls_rcount){kind, 1};
}

/* Moves the suppressed findings out of r (they are counted, not shown). */
static void apply_suppressions(struct ls_opts *o, struct ls_report *r, struct ls_report_ctx *ctx)
{
    struct ls_report gone;
    memset(&gone, 0, sizeof gone);
    size_t kept = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        struct ls_finding *f = &r->findings[i];
        struct ls_supp_rule *rule = ls_supp_match(&o->supp, f);
        if (!rule) {
            if (kept != i)
                r->findings[kept] = *f;
            kept++;
            continue;
        }
        rule->hits++;
        ctx->suppressed++;
        count_kind(ctx->suppressed_by_kind, &ctx->nsuppressed_kinds,
                   ls_finding_kind_name(f->kind));
        /* The finding owns its memory: hand it to a report that frees it. */
        *ls_report_add(&gone) = *f;
    }
    r->nfindings = kept;
    ls_report_free(&gone);
    if (o->supp.file)
        ctx->supp_file = xstrdup(o->supp.file);
    ctx->nsupps = o->supp.n;
    ctx->supps = xcalloc(o->supp.n + 1, sizeof *ctx->supps);
    for (size_t i = 0; i < o->supp.n; i++) {
        const struct ls_supp_rule *s = &o->supp.rules[i];
        ctx->supps[i] = (struct ls_rsupp){xstrdup(s->text), xstrdup(s->file), s->line, s->hits};
    }
}

/* A process that ends by exec'ing should be followed by a trace of the
 * program it became (same pid, started later).  When there is none, the new
 * program could not be traced: statically linked, set-uid (the dynamic
 * loader ignores LD_PRELOAD there, and the shim does nothing in AT_SECURE
 * processes), or started with LD_PRELOAD removed from its environment. */
static void note_untraced_execs(const struct ls_report *r, struct ls_report_ctx *ctx)
{
    for (size_t i = 0; i < r->nprocs; i++) {
        if (!ctx->px[i].execed || ls_untraced_started_self(i))
            continue; /* named by its path (untraced.c) */
        int followed = 0;
        for (size_t j = 0; j < r->nprocs && !followed; j++)
            followed = j != i && r->procs[j].pid == r->procs[i].pid &&
                       ctx->px[j].start_ns >= ctx->px[i].end_ns;
        if (followed)
            continue;
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "process %u (%s) exec'd a program that wrote no trace: it was not "
                       "checked (a statically linked or set-uid program, or one started "
                       "without LD_PRELOAD)",
                  r->procs[i].pid, ls_rproc_command(&r->procs[i]));
        ctx->notes = xrealloc(ctx->notes, (ctx->nnotes + 1) * sizeof *ctx->notes);
        ctx->notes[ctx->nnotes++] = sb_detach(&sb);
        struct ls_rproc *x = &ctx->px[i];
        x->notes = xrealloc(x->notes, (x->nnotes + 1) * sizeof *x->notes);
        x->notes[x->nnotes++] = xstrdup("it exec'd a program that wrote no trace (statically "
                                        "linked or set-uid?): that program was not checked");
    }
}

/* Where races could not be checked, the process's row says why. */
static void note_race_coverage(const struct ls_report *r, struct ls_report_ctx *ctx)
{
    for (size_t i = 0; i < r->nprocs && i < ctx->npx; i++) {
        if (!r->procs[i].watch_msg || !*r->procs[i].watch_msg)
            continue;
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "data races not checked: %s", r->procs[i].watch_msg);
        struct ls_rproc *x = &ctx->px[i];
        x->notes = xrealloc(x->notes, (x->nnotes + 1) * sizeof *x->notes);
        x->notes[x->nnotes++] = sb_detach(&sb);
    }
}

static double traces_duration(const struct ls_report *r, const struct ls_report_ctx *ctx)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        if (ctx->px[i].start_ns && ctx->px[i].start_ns < lo)
            lo = ctx->px[i].start_ns;
        if (ctx->px[i].end_ns > hi)
            hi = ctx->px[i].end_ns;
    }
    return lo != UINT64_MAX && hi > lo ? (double)(hi - lo) / 1e9 : -1;
}

typedef void (*renderer)(FILE *, const struct ls_report *, const struct ls_report_ctx *);

/* The temporary file a report is written to before it is renamed into
 * place: in the same directory (rename stays within one file system),
 * hidden, named after the report: dir/.name.XXXXXX. */
static char *temp_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    struct strbuf sb;
    sb_init(&sb);
    sb_add(&sb, path, dir);
    sb_printf(&sb, ".%s.XXXXXX", path + dir);
    return sb_detach(&sb);
}

/* A report is created like a trace: mode 0600, in a new file (O_EXCL, so
 * never through a symlink someone left), renamed over path once complete.
 * A reader never sees half a report, and a symlink at path is replaced,
 * not followed.  On failure nothing is left behind. */
static int write_report(const char *path, renderer fn, const struct ls_report *r,
                        const struct ls_report_ctx *ctx)
{
    if (!path)
        return 0;
    char *tmp = temp_name(path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        error("cannot write report '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    int err = 0;
    if (!f) {
        err = errno;
        close(fd);
    } else {
        errno = 0;
        fn(f, r, ctx);
        if (ferror(f))
            err = errno ? errno : EIO;
        if (fclose(f) != 0 && !err)
            err = errno;
    }
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        error("cannot write report '%s': %s", path, strerror(err));
    }
    free(tmp);
    return err ? -1 : 0;
}

int ls_finish(struct ls_opts *o, struct ls_report *r, struct ls_report_ctx *ctx, FILE *text_out)
{
    apply_suppressions(o, r, ctx);
    note_untraced_execs(r, ctx);
    ls_untraced_note(r, ctx);
    note_race_coverage(r, ctx);
    if (ctx->duration_s < 0)
        ctx->duration_s = traces_duration(r, ctx);
    ctx->fail_on_all = o->fail_on_all;
    ctx->nfail_on = o->nfail_on;
    for (size_t i = 0; i < o->nfail_on; i++)
        ctx->fail_on[i] = o->fail_on[i];
    if (o->baseline)
        ctx->baseline_file = xstrdup(o->baseline);
    ctx->profile_top = o->profile_top;
    ctx->long_hold_ns = (uint64_t)o->long_hold_ms * 1000000u;
    if (o->srcroot) {
        char *abs = realpath(o->srcroot, NULL);
        ctx->srcroot = abs ? abs : xstrdup(o->srcroot);
    } else {
        ctx->srcroot = getcwd(NULL, 0);
    }
    ctx->fx = xcalloc(r->nfindings + 1, sizeof *ctx->fx);
    ctx->nfx = r->nfindings;
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct ls_finding *f = &r->findings[i];
        struct ls_rfinding *x = &ctx->fx[i];
        x->suppress = ls_supp_suggest(f);
        if (o->baseline) {
            x->baseline = ls_baseline_has(&o->base, f->id) ? LS_BASELINE_KNOWN : LS_BASELINE_NEW;
            if (x->baseline == LS_BASELINE_KNOWN)
                ctx->baseline_known++;
            else
                ctx->baseline_new++;
        }
        x->fails = kind_fails(o, ls_finding_kind_name(f->kind)) &&
                   x->baseline != LS_BASELINE_KNOWN;
        ctx->failing += x->fails;
    }
    if (o->baseline)
        ctx->baseline_gone = ls_baseline_gone(&o->base);
    if (o->html)
        ctx->html_path = xstrdup(o->html);
    if (o->timeline) {
        size_t with = 0;
        for (size_t i = 0; i < r->nprocs; i++)
            with += r->procs[i].timeline != NULL;
        if (!with)
            warning("the traces have no timeline: '%s' has no events (record one with "
                    "LOCKSCOPE_OPTIONS=timeline=N, or lockscope run --timeline)",
                    o->timeline);
    }
    int rc = 0;
    static const char *const formats[] = {"HTML", "JSON", "SARIF", "JUnit", "timeline"};
    static const renderer writers[] = {ls_report_html, ls_report_json, ls_report_sarif,
                                       ls_report_junit, ls_report_timeline};
    const char *paths[] = {ctx->html_path, o->json, o->sarif, o->junit, o->timeline};
    for (size_t i = 0; i < 5; i++) {
        if (!paths[i])
            continue;
        if (write_report(paths[i], writers[i], r, ctx) != 0)
            rc = -1;
        else
            ctx->written[ctx->nwritten++] = (struct ls_rwritten){formats[i], paths[i]};
    }
    ctx->color = ls_term_color(o->color, fileno(text_out));
    ls_report_text(text_out, r, ctx);
    return rc ? -1 : (int)ctx->failing;
}

static int cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {LS_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    struct ls_opts o;
    ls_opts_init(&o);
    int c;
    opterr = 0;
    /* Options may come after the traces: `analyze DIR --json x`. */
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (!ls_opts_handle(&o, c, optarg, argv))
            ls_usage_error("unknown option '%s'", argv[optind - 1]);
    }
    if (optind >= argc)
        ls_usage_error("analyze needs at least one trace file or directory");
    if (ls_opts_load(&o) != 0) {
        ls_opts_free(&o);
        return 2;
    }
    struct ls_report r;
    struct ls_report_ctx ctx = {.status = -1, .duration_s = -1};
    int status;
    if (ls_analyze(argv + optind, argc - optind, &r, &ctx) != 0) {
        status = 2;
    } else {
        int failing = ls_finish(&o, &r, &ctx, stdout);
        status = failing < 0 ? 2 : failing > 0 ? o.exitcode : 0;
    }
    ls_report_free(&r);
    ls_report_ctx_free(&ctx);
    ls_opts_free(&o);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        ls_usage_error("no command given");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("lockscope %s\n", LS_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return ls_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "analyze"))
        return cmd_analyze(argc - 1, argv + 1);
    ls_usage_error("unknown command '%s'", cmd);
}
