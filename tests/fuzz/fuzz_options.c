/*
 * libFuzzer harness: LOCKSCOPE_OPTIONS, the shim's options parser
 * (preload/options.c, built here with options_stub.c).
 *
 * Besides "no crash, no undefined behaviour", every option must stay in the
 * range its help promises, and the strings must stay terminated, whatever
 * the input: the shim relies on both.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ls_options defaults;

/* A broken contract: say which, then crash so that libFuzzer keeps the input. */
#define CHECK(cond, what)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_options: %s\n", what);                      \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* $LOCKSCOPE_OUT is the default out=, taken before the options. */
    setenv("LOCKSCOPE_OUT", "/tmp/traces", 1);
    defaults = ls_opt;
    return 0;
}

#define IN(v, lo, hi) ((v) >= (lo) && (v) <= (hi))

static void check(void)
{
    const struct ls_options *o = &ls_opt;
    CHECK(memchr(o->out_dir, 0, sizeof o->out_dir) && o->out_dir[0],
          "out_dir is empty or not terminated");
    CHECK(memchr(o->watch_only, 0, sizeof o->watch_only), "watch_only is not terminated");
    CHECK(IN(o->stack_depth, 1, (int)LS_TRACE_MAX_FRAMES), "stack_depth out of range");
    CHECK(IN(o->verbosity, 0, 3), "verbosity out of range");
    CHECK(IN(o->enabled, 0, 1), "enable out of range");
    CHECK(IN(o->deadlock, 0, 2), "deadlock out of range");
    CHECK(IN(o->deadlock_exitcode, 1, 255), "deadlock_exitcode out of range");
    CHECK(IN(o->deadlock_check_ms, 10, 5000), "deadlock_check_ms out of range");
    CHECK(IN(o->stall_ms, 0, 3600000), "stall_ms out of range");
    CHECK(IN(o->watch, 0, 1), "watch out of range");
    CHECK(IN(o->watch_rate, 10, 1000000), "watch_rate out of range");
    CHECK(IN(o->watch_period_ms, 1, 10000), "watch_period_ms out of range");
    CHECK(IN(o->watch_decode, 0, 1), "watch_decode out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The environment gives a NUL-terminated string: whatever follows a
     * NUL in the input is never seen. */
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = 0;
    ls_opt = defaults;
    int help = ls_options_parse(s);
    CHECK(help == 0 || help == 1, "ls_options_parse returned neither 0 nor 1");
    check();
    free(s);
    return 0;
}
