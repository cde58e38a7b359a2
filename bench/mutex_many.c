/*
 * Four threads over 1000 mutexes: each thread loops N times (default
 * 2,000,000), picks a mutex with a cheap LCG, updates the counter it
 * guards and unlocks.  Contention spread over many locks: the lock lookup
 * and the happens-before clocks, not the edges (see mutex_pairs).
 *
 * usage: mutex_many [ITERATIONS_PER_THREAD]
 */
#include <pthread.h>
#include <stdint.h>

#include "bench_common.h"

#define NTHREADS 4
#define NLOCKS 1000

static pthread_mutex_t locks[NLOCKS];
static unsigned long long counters[NLOCKS];
static long iterations;

static inline uint32_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

static void *worker(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL * ((uint64_t)(long)arg + 1);
    for (long i = 0; i < iterations; i++) {
        unsigned a = lcg(&seed) % NLOCKS;
        pthread_mutex_lock(&locks[a]);
        counters[a] += (uint64_t)i;
        pthread_mutex_unlock(&locks[a]);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    iterations = bench_iterations(argc, argv, 2000000);
    for (int i = 0; i < NLOCKS; i++)
        bench_check(pthread_mutex_init(&locks[i], NULL), "pthread_mutex_init");
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        bench_check(pthread_create(&t[i], NULL, worker, (void *)i), "pthread_create");
    for (int i = 0; i < NTHREADS; i++)
        bench_check(pthread_join(t[i], NULL), "pthread_join");
    unsigned long long sum = 0;
    for (int i = 0; i < NLOCKS; i++) {
        sum = sum * 31 + counters[i];
        pthread_mutex_destroy(&locks[i]);
    }
    printf("mutex_many: threads=%d locks=%d iterations=%ld checksum=%llu\n", NTHREADS, NLOCKS,
           iterations, sum);
    return 0;
}
