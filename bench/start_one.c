/*
 * Start-up: a process that starts one thread, joins it and exits.  bench/run
 * runs it many times in a row, natively and preloaded, and divides: what a
 * test suite of many short processes pays per process.
 *
 * usage: start_one [THREADS]   (default 1)
 */
#include <pthread.h>

#include "bench_common.h"

static int value;

static void *worker(void *arg)
{
    value += (int)(long)arg;
    return NULL;
}

int main(int argc, char **argv)
{
    long n = bench_iterations(argc, argv, 1);
    for (long i = 0; i < n; i++) {
        pthread_t t;
        bench_check(pthread_create(&t, NULL, worker, (void *)1), "pthread_create");
        bench_check(pthread_join(t, NULL), "pthread_join");
    }
    printf("start_one: threads=%ld checksum=%d\n", n, value);
    return 0;
}
