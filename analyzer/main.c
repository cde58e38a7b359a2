/*
 * The lockscope command: `run` a program under the shim and report, or
 * `analyze` existing traces.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "deadlock.h"
#include "lockgraph.h"
#include "misuse.h"
#include "reports.h"
#include "util.h"

static const char usage_text[] =
    "usage: lockscope run [--out DIR] [--json FILE] [--exitcode N] [--] PROGRAM [ARGS...]\n"
    "       lockscope analyze [--json FILE] [--exitcode N] TRACE_OR_DIR...\n"
    "       lockscope --help | --version\n"
    "\n"
    "  run       run PROGRAM with liblockscope.so preloaded (it and every process it\n"
    "            starts), then analyze the traces and report on stderr\n"
    "  analyze   analyze trace files, or every *.trace file in a directory\n"
    "\n"
    "  --out DIR      where the traces go (created if missing; default: a new\n"
    "                 private directory under $TMPDIR)\n"
    "  --json FILE    also write the findings as JSON (docs/json-report.md)\n"
    "  --exitcode N   exit status when something is found (default 66)\n"
    "\n"
    "exit status: the program's own status (run) or 0 (analyze) when nothing is\n"
    "found; 66 or --exitcode N when something is; 2 for a usage error or a trace\n"
    "that cannot be read.\n";

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

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expands directories into their *.trace files (sorted). */
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
        qsort(*out + first, *nout - first, sizeof **out, cmp_str);
    }
    return 0;
}

int ls_analyze(char **args, int n, const char *json_path, struct ls_report *r)
{
    char **paths;
    size_t npaths;
    memset(r, 0, sizeof *r);
    if (collect(args, n, &paths, &npaths) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < npaths; i++) {
        struct ls_process *p;
        if (ls_trace_read(paths[i], &p) != 0) {
            rc = -1;
            continue;
        }
        if (!p->ended && !p->cut)
            warning("trace '%s' has no end record (the process was killed or is still "
                    "running): analyzing what it wrote",
                    paths[i]);
        size_t pi = ls_report_add_process(r, p);
        size_t first = r->nfindings;
        ls_check_deadlocks(p, pi, r);
        ls_check_lock_order(p, pi, r);
        ls_check_misuse(p, pi, r);
        ls_link_deadlocks(r, first);
        ls_process_free(p);
    }
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    if (rc != 0)
        return -1;
    if (json_path) {
        FILE *f = fopen(json_path, "w");
        if (!f)
            return error("cannot write '%s': %s", json_path, strerror(errno));
        ls_report_json(f, r);
        if (fclose(f) != 0)
            return error("cannot write '%s': %s", json_path, strerror(errno));
    }
    return 0;
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

static int cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", required_argument, NULL, 'j'},
        {"exitcode", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *json = NULL;
    int exitcode = 66, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = optarg; break;
        case 'e': exitcode = ls_parse_exitcode(optarg); break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: ls_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        ls_usage_error("analyze needs at least one trace file or directory");
    struct ls_report r;
    if (ls_analyze(argv + optind, argc - optind, json, &r) != 0) {
        ls_report_free(&r);
        return 2;
    }
    ls_report_text(stdout, &r);
    int status = r.nfindings ? exitcode : 0;
    ls_report_free(&r);
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
