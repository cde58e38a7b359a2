/*
 * Two threads take turns on one shared mutex: N lock/unlock pairs each
 * (default 5,000,000), incrementing a shared counter inside.  Contended.
 *
 * usage: mutex_pingpong [ITERATIONS_PER_THREAD]
 */
#include <pthread.h>

#include "bench_common.h"

#define NTHREADS 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long counter;
static long iterations;

static void *worker(void *arg)
{
    unsigned long long salt = (unsigned long long)(long)arg + 1;
    for (long i = 0; i < iterations; i++) {
        pthread_mutex_lock(&lock);
        counter += salt;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    iterations = bench_iterations(argc, argv, 5000000);
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        bench_check(pthread_create(&t[i], NULL, worker, (void *)i), "pthread_create");
    for (int i = 0; i < NTHREADS; i++)
        bench_check(pthread_join(t[i], NULL), "pthread_join");
    printf("mutex_pingpong: threads=%d iterations=%ld checksum=%llu\n", NTHREADS, iterations,
           counter);
    return 0;
}
