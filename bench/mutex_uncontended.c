/*
 * One thread, one mutex, N lock/unlock pairs (default 20,000,000): the
 * per-call overhead of the interposed functions, with no contention.
 *
 * usage: mutex_uncontended [ITERATIONS]
 */
#include <pthread.h>

#include "bench_common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long counter;

int main(int argc, char **argv)
{
    long iterations = bench_iterations(argc, argv, 20000000);
    for (long i = 0; i < iterations; i++) {
        pthread_mutex_lock(&lock);
        counter += (unsigned long long)i ^ (counter >> 3);
        pthread_mutex_unlock(&lock);
    }
    printf("mutex_uncontended: iterations=%ld checksum=%llu\n", iterations, counter);
    return 0;
}
