/*
 * The first-seen-edge path under stress: four threads over 1000 mutexes,
 * each loop taking one, or two nested in a consistent order (lower index
 * first: no real lock-order cycle).  Random pairs make about 500,000
 * distinct lock-order edges per thread (each recorded once per process and
 * thread, with its stacks): far more than real programs have, so this
 * measures the worst case.
 *
 * usage: mutex_pairs [ITERATIONS_PER_THREAD]
 *
 * Half the iterations take a pair: the default, 2,000,000, is 4 threads x
 * 1,000,000 random ordered pairs of 1,000 mutexes.
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
        uint32_t r = lcg(&seed);
        unsigned a = r % NLOCKS;
        if (r & 0x80000000u) {
            /* one lock */
            pthread_mutex_lock(&locks[a]);
            counters[a]++;
            pthread_mutex_unlock(&locks[a]);
        } else {
            /* two, nested, lower index first */
            unsigned b = lcg(&seed) % NLOCKS;
            if (a == b)
                b = (b + 1) % NLOCKS;
            unsigned lo = a < b ? a : b, hi = a < b ? b : a;
            pthread_mutex_lock(&locks[lo]);
            pthread_mutex_lock(&locks[hi]);
            counters[lo]++;
            counters[hi] += 2;
            pthread_mutex_unlock(&locks[hi]);
            pthread_mutex_unlock(&locks[lo]);
        }
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
    printf("mutex_pairs: threads=%d locks=%d iterations=%ld checksum=%llu\n", NTHREADS, NLOCKS,
           iterations, sum);
    return 0;
}
