/* Shared helpers for the lockscope benchmarks. */
#ifndef LS_BENCH_COMMON_H
#define LS_BENCH_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

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

/* With BENCH_RSS_FILE set, the program's peak resident set (KB) is written
 * there at exit: bench/run's measure of the program alone, the same with
 * or without a tool around it. */
__attribute__((destructor)) static void bench_report_rss(void)
{
    const char *path = getenv("BENCH_RSS_FILE");
    struct rusage ru;
    if (!path || !*path || getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%ld\n", ru.ru_maxrss);
        fclose(f);
    }
}

#endif
