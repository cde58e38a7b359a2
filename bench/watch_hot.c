/*
 * A hot global: two threads touch `hot` N times in all (default 10,000,000)
 * under a mutex.  Under lockscope it is a watched candidate that traps on
 * every access until the rate limit sets it aside: this measures that the
 * limit holds the slowdown within its budget.
 *
 * usage: watch_hot [ITERATIONS]
 */
#include <pthread.h>

#include "bench_common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
unsigned long long hot;
static long per_thread;

static void *worker(void *arg)
{
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&lock);
        hot += (unsigned long long)i * 2654435761u; /* a sum: any interleaving gives it */
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

int main(int argc, char **argv)
{
    per_thread = bench_iterations(argc, argv, 10000000) / 2;
    pthread_t a, b;
    bench_check(pthread_create(&a, NULL, worker, NULL), "pthread_create");
    bench_check(pthread_create(&b, NULL, worker, NULL), "pthread_create");
    bench_check(pthread_join(a, NULL), "pthread_join");
    bench_check(pthread_join(b, NULL), "pthread_join");
    printf("watch_hot: iterations=%ld checksum=%llu\n", per_thread * 2, hot);
    return 0;
}
