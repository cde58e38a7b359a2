/*
 * libFuzzer harness: the trace reader (ls_trace_parse), then, on what it
 * accepted, every check and the text and JSON reports, as `lockscope
 * analyze` runs them (analyzer/analyze.c ls_analyze_process).
 *
 * Properties checked besides "no crash, no leak, no undefined behaviour":
 *  - a refused trace always comes with a message, even in a tiny buffer;
 *  - findings are self-contained (findings.h): the process model is freed
 *    before the reports are written from them.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "findings.h"
#include "model.h"
#include "reports.h"
#include "suppress.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* A broken contract: say which, then crash so that libFuzzer keeps the input. */
#define CHECK(cond, what)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_trace: %s\n", what);                        \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* libdw would ask debuginfod servers about the fuzzed build-ids. */
    unsetenv("DEBUGINFOD_URLS");
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        abort();
    return 0;
}

/* Whether the analyzer may open this path while fuzzing: a FIFO, a device
 * or a file under /proc or /sys could block or never end.  Regular files
 * and missing ones are fine. */
static int safe_to_open(const char *path)
{
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real))
        return 1;
    return strncmp(real, "/proc/", 6) != 0 && strncmp(real, "/sys/", 5) != 0 &&
           strncmp(real, "/dev/", 5) != 0 && stat(real, &st) == 0 && S_ISREG(st.st_mode);
}

static void rename_unsafe(char **path)
{
    if (!*path || !**path || safe_to_open(*path))
        return;
    free(*path);
    *path = strdup("/nonexistent/lockscope-fuzz-file");
    if (!*path)
        abort();
}

/* The analyzer opens the files the trace names: the module records' (the
 * symbolizer) and the executable's (ls_globals_of, for races).  The
 * unsafe ones are renamed to a path that does not exist, which the
 * analyzer already handles. */
static void tame_paths(struct ls_process *p)
{
    rename_unsafe(&p->exe);
    for (size_t i = 0; i < p->nmodules; i++)
        rename_unsafe(&p->modules[i].path);
}

/* The context `lockscope analyze` gives the renderers, minus the options. */
static void make_ctx(struct ls_report_ctx *c, const struct ls_report *r,
                     const struct ls_process *p)
{
    memset(c, 0, sizeof *c);
    c->status = -1;
    c->duration_s = -1;
    c->fail_on_all = 1;
    c->nfx = r->nfindings;
    c->fx = calloc(r->nfindings + 1, sizeof *c->fx);
    c->npx = 1;
    c->px = calloc(1, sizeof *c->px);
    if (!c->fx || !c->px)
        abort();
    for (size_t i = 0; i < r->nfindings; i++) {
        c->fx[i].suppress = ls_supp_suggest(&r->findings[i]);
        c->fx[i].fails = 1;
        c->failing++;
    }
    c->px[0].start_ns = p->start_ns;
    c->px[0].end_ns = p->ended ? p->end_ns : 0;
    c->px[0].exit_status = p->exit_status;
    c->px[0].execed = p->execed;
    c->px[0].notes = calloc(p->nnotes + 1, sizeof *c->px[0].notes);
    if (!c->px[0].notes)
        abort();
    for (size_t i = 0; i < p->nnotes; i++)
        c->px[0].notes[c->px[0].nnotes++] = strdup(p->notes[i].msg ? p->notes[i].msg : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_process *p = NULL;
    char err[256] = "";
    if (ls_trace_parse(data, size, &p, err, sizeof err) != 0) {
        CHECK(!p, "ls_trace_parse: refused the trace but returned a model");
        CHECK(err[0] && memchr(err, 0, sizeof err), "ls_trace_parse: refused without a message");
        char small[8];
        memset(small, 'x', sizeof small);
        CHECK(ls_trace_parse(data, size, &p, small, sizeof small) != 0 && !p &&
                  memchr(small, 0, sizeof small),
              "ls_trace_parse: a small message buffer changed the result or overflowed");
        return 0;
    }
    CHECK(p, "ls_trace_parse: accepted the trace but returned no model");
    tame_paths(p);
    p->trace_path = strdup("fuzz.trace");

    struct ls_report r;
    memset(&r, 0, sizeof r);
    ls_analyze_process(p, &r, NULL);

    struct ls_report_ctx ctx;
    make_ctx(&ctx, &r, p);
    ls_process_free(p);

    ls_report_text(devnull, &r, NULL);
    ls_report_text(devnull, &r, &ctx);
    ls_report_json(devnull, &r, &ctx);
    fflush(devnull);

    ls_report_ctx_free(&ctx);
    ls_report_free(&r);
    return 0;
}
