/* Allocation-heavy: each thread keeps a window of live blocks of mixed
 * sizes and replaces one at a time (malloc, write, free), the pattern of a
 * parser or a compressor's buffers.  What lockscope adds to an allocation
 * it does not sample must not show: run it natively and under `lockscope
 * run` side by side (README: "Cost").  Prints ns per malloc+free pair.
 * usage: alloc_heavy [allocations per thread] [threads] */
#define _GNU_SOURCE
#include "bench_common.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define WINDOW 256

static long per_thread;

static void *work(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull | 1;
    char *live[WINDOW] = {0};
    unsigned long sum = 0;
    for (long i = 0; i < per_thread; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned)(x % WINDOW);
        size_t size = 16 + (size_t)((x >> 20) % 240);
        free(live[k]);
        live[k] = malloc(size);
        if (!live[k]) {
            fprintf(stderr, "alloc_heavy: out of memory\n");
            exit(1);
        }
        live[k][0] = (char)i;
        sum += (unsigned char)live[k][size / 2];
    }
    for (int k = 0; k < WINDOW; k++)
        free(live[k]);
    return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv)
{
    per_thread = bench_iterations(argc, argv, 20000000);
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 2;
    if (threads < 1 || threads > 64)
        threads = 2;
    pthread_t th[64];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long t = 0; t < threads; t++)
        bench_check(pthread_create(&th[t], NULL, work, (void *)(uintptr_t)(t + 1)),
                    "pthread_create");
    for (long t = 0; t < threads; t++)
        bench_check(pthread_join(th[t], NULL), "pthread_join");
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    printf("alloc_heavy: %ld threads x %ld malloc+free: %.1f ns a pair (per thread)\n", threads,
           per_thread, ns / (double)per_thread);
    return 0;
}
