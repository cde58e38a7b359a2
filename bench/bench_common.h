/* Shared helpers for the lockscope benchmarks. */
#ifndef LS_BENCH_COMMON_H
#define LS_BENCH_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The iteration count: argv[1] if given, else the default. */
static inline long bench_iterations(int argc, char **argv, long dflt)
{
    if (argc < 2)
        return dflt;
    char *end;
    errno = 0;
    long n = strtol(argv[1], &end, 10);
    if (errno || *end || end == argv[1] || n <= 0) {
        fprintf(stderr, "%s: the iteration count must be a positive number, not '%s'\n",
                argv[0], argv[1]);
        exit(2);
    }
    return n;
}

static inline void bench_check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench: %s failed: %s\n", what, strerror(rc));
        exit(1);
    }
}

#endif
