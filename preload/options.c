/*
 * LOCKSCOPE_OPTIONS, in the sanitizer syntax: key=value pairs separated by
 * ':' or whitespace.  Parsed once in the constructor, without malloc.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <stdlib.h>
#include <string.h>

struct ls_options ls_opt = {
    .out_dir = ".",
    .stack_depth = 32,
    .verbosity = 0,
    .enabled = 1,
    .deadlock = 2,
    .deadlock_exitcode = 86,
    .deadlock_check_ms = 200,
    .stall_ms = 5000,
    .watch = 1,
    .watch_rate = 2000,
    .watch_period_ms = 50,
    .watch_decode = 1,
    .timeline = 0,
    .profile = 1,
    .heap_sample = 10000,
};

static const struct {
    const char *key;
    const char *help;
} known[] = {
    {"out", "directory for the trace files (default: $LOCKSCOPE_OUT, else .)"},
    {"stack_depth", "frames kept per stack, 1-64 (default 32)"},
    {"verbosity", "0 quiet, 1 say where the trace goes (default 0)"},
    {"enable", "0 makes the shim a pass-through (default 1)"},
    {"deadlock", "exit: report a live deadlock and end the program (default); report: report and "
                 "keep waiting; off"},
    {"deadlock_exitcode", "status of a program ended for a deadlock (default 86)"},
    {"deadlock_check_ms", "how often the watchdog looks at the waiting threads for a deadlock, "
                          "10-5000 (default 200)"},
    {"stall_ms", "every thread blocked this long (one in a condvar, semaphore or barrier "
                 "wait) is reported as a stall; 0 turns it off (default 5000)"},
    {"watch", "0 turns off the hardware watchpoints (no data-race checks) (default 1)"},
    {"watch_rate", "traps a second for each thread that can run at once (at most one a CPU), "
                   "shared by the watched variables, before one sits out (default 2000)"},
    {"watch_period_ms", "how long each global is watched in a rotation, once the program has "
                        "run a while (default 50)"},
    {"watch_only", "comma-separated names of the only globals to watch (default: all)"},
    {"watch_libs", "1 also watches the globals of the program's shared libraries (not the "
                   "system's: libc, libstdc++, ...) (default 0)"},
    {"watch_decode", "0 does not decode the instruction behind a trap: accesses are counted, "
                     "races not judged; for measuring what decoding costs (default 1)"},
    {"timeline", "events each thread keeps for the timeline (lock holds, waits, thread start "
                 "and end, with their times), rounded up to a power of two, 64-1048576; 0 "
                 "records none (default 0; `lockscope run --timeline` sets 4096)"},
    {"profile", "0 does not record the contention profile (waits, holds, long holds): for "
                "measuring what it costs (default 1)"},
    {"heap_sample", "1 heap allocation in this many (on average) is watched while it lives, "
                    "besides the first 8 of the process; 0 watches none (default 10000)"},
    {"suppressions", "a suppressions file for the lockscope command (the shim records "
                     "everything; the analysis hides what the file matches)"},
    {"help", "1 prints this list and runs the program untraced"},
};

static int parse_int(const char *v, size_t n, int lo, int hi, int *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, v, n);
    buf[n] = 0;
    char *end;
    long x = strtol(buf, &end, 10);
    if (*end || x < lo || x > hi)
        return -1;
    *out = (int)x;
    return 0;
}

static void print_help(void)
{
    ls_warn("lockscope: options (LOCKSCOPE_OPTIONS=key=value:key=value):");
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ls_warn("  %-18s %s", known[i].key, known[i].help);
}

/* One key=value pair; returns 1 for help=1. */
static int apply(const char *k, size_t kn, const char *v, size_t vn)
{
#define IS(name) (kn == sizeof(name) - 1 && memcmp(k, name, kn) == 0)
    int x;
    if (IS("out")) {
        if (vn == 0 || vn >= sizeof ls_opt.out_dir)
            ls_warn("lockscope: warning: option 'out' needs a directory of at most %zu bytes",
                    sizeof ls_opt.out_dir - 1);
        else {
            memcpy(ls_opt.out_dir, v, vn);
            ls_opt.out_dir[vn] = 0;
        }
    } else if (IS("stack_depth")) {
        if (parse_int(v, vn, 1, (int)LS_TRACE_MAX_FRAMES, &x) == 0)
            ls_opt.stack_depth = x;
        else
            ls_warn("lockscope: warning: option 'stack_depth' must be 1-%u", LS_TRACE_MAX_FRAMES);
    } else if (IS("verbosity")) {
        if (parse_int(v, vn, 0, 3, &x) == 0)
            ls_opt.verbosity = x;
        else
            ls_warn("lockscope: warning: option 'verbosity' must be 0-3");
    } else if (IS("enable")) {
        if (parse_int(v, vn, 0, 1, &x) == 0)
            ls_opt.enabled = x;
        else
            ls_warn("lockscope: warning: option 'enable' must be 0 or 1");
    } else if (IS("deadlock")) {
        if (vn == 4 && memcmp(v, "exit", 4) == 0)
            ls_opt.deadlock = 2;
        else if (vn == 6 && memcmp(v, "report", 6) == 0)
            ls_opt.deadlock = 1;
        else if (vn == 3 && memcmp(v, "off", 3) == 0)
            ls_opt.deadlock = 0;
        else
            ls_warn("lockscope: warning: option 'deadlock' must be exit, report or off");
    } else if (IS("deadlock_exitcode")) {
        if (parse_int(v, vn, 1, 255, &x) == 0)
            ls_opt.deadlock_exitcode = x;
        else
            ls_warn("lockscope: warning: option 'deadlock_exitcode' must be 1-255");
    } else if (IS("deadlock_check_ms")) {
        if (parse_int(v, vn, 10, 5000, &x) == 0)
            ls_opt.deadlock_check_ms = x;
        else
            ls_warn("lockscope: warning: option 'deadlock_check_ms' must be 10-5000");
    } else if (IS("stall_ms")) {
        if (parse_int(v, vn, 0, 3600000, &x) == 0)
            ls_opt.stall_ms = x;
        else
            ls_warn("lockscope: warning: option 'stall_ms' must be 0-3600000");
    } else if (IS("watch")) {
        if (parse_int(v, vn, 0, 1, &x) == 0)
            ls_opt.watch = x;
        else
            ls_warn("lockscope: warning: option 'watch' must be 0 or 1");
    } else if (IS("watch_rate")) {
        if (parse_int(v, vn, 10, 1000000, &x) == 0)
            ls_opt.watch_rate = x;
        else
            ls_warn("lockscope: warning: option 'watch_rate' must be 10-1000000");
    } else if (IS("watch_period_ms")) {
        if (parse_int(v, vn, 1, 10000, &x) == 0)
            ls_opt.watch_period_ms = x;
        else
            ls_warn("lockscope: warning: option 'watch_period_ms' must be 1-10000");
    } else if (IS("timeline")) {
        if (parse_int(v, vn, 0, 1048576, &x) == 0)
            ls_opt.timeline = x;
        else
            ls_warn("lockscope: warning: option 'timeline' must be 0-1048576");
    } else if (IS("watch_decode")) {
        if (parse_int(v, vn, 0, 1, &x) == 0)
            ls_opt.watch_decode = x;
        else
            ls_warn("lockscope: warning: option 'watch_decode' must be 0 or 1");
    } else if (IS("watch_libs")) {
        if (parse_int(v, vn, 0, 1, &x) == 0)
            ls_opt.watch_libs = x;
        else
            ls_warn("lockscope: warning: option 'watch_libs' must be 0 or 1");
    } else if (IS("watch_only")) {
        if (vn >= sizeof ls_opt.watch_only)
            ls_warn("lockscope: warning: option 'watch_only' is longer than %zu bytes",
                    sizeof ls_opt.watch_only - 1);
        else {
            memcpy(ls_opt.watch_only, v, vn);
            ls_opt.watch_only[vn] = 0;
        }
    } else if (IS("profile")) {
        if (parse_int(v, vn, 0, 1, &x) == 0)
            ls_opt.profile = x;
        else
            ls_warn("lockscope: warning: option 'profile' must be 0 or 1");
    } else if (IS("heap_sample")) {
        if (parse_int(v, vn, 0, 100000000, &x) == 0)
            ls_opt.heap_sample = x;
        else
            ls_warn("lockscope: warning: option 'heap_sample' must be 0-100000000");
    } else if (IS("suppressions")) {
        /* The command's (cli/main.c): nothing for the shim to do. */
    } else if (IS("help")) {
        if (parse_int(v, vn, 0, 1, &x) == 0 && x) {
            print_help();
            return 1;
        }
    } else {
        ls_warn("lockscope: warning: unknown option '%.*s' (help=1 lists them)", (int)kn, k);
    }
    return 0;
#undef IS
}

int ls_options_parse(const char *s)
{
    const char *env_out = getenv("LOCKSCOPE_OUT");
    if (env_out && *env_out)
        ls_strlcpy(ls_opt.out_dir, env_out, sizeof ls_opt.out_dir);
    if (!s)
        return 0;
    int help = 0;
    while (*s) {
        while (*s == ':' || *s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        const char *k = s;
        while (*s && *s != '=' && *s != ':' && *s != ' ' && *s != '\t' && *s != '\n')
            s++;
        size_t kn = (size_t)(s - k);
        const char *v = s;
        size_t vn = 0;
        if (*s == '=') {
            v = ++s;
            while (*s && *s != ':' && *s != ' ' && *s != '\t' && *s != '\n')
                s++;
            vn = (size_t)(s - v);
        } else {
            ls_warn("lockscope: warning: option '%.*s' has no value", (int)kn, k);
            continue;
        }
        help |= apply(k, kn, v, vn);
    }
    return help;
}
