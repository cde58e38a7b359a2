/*
 * A hot global: two threads read `hot` N times in all (default 10,000,000),
 * each read followed by ~50 ns of work of its own, with nothing shared
 * between them but that read-only global: no lock hand-off, so the native
 * time does not swing with how the scheduler hands a mutex over.  Under
 * lockscope it is a watched candidate that traps on every access until the
 * rate limit sets it aside: this measures that the limit holds the slowdown
 * within the hot-global budget (bench/run: 1.5x).
 *
 * usage: watch_hot [ITERATIONS]
 */
#include <pthread.h>

#include "bench_common.h"

volatile unsigned long long hot; /* set by main before the threads start */
static long per_thread;
static unsigned long long sums[2];

static void *worker(void *arg)
{
    long me = (long)arg;
    unsigned long long x = (unsigned long long)me + 1, sum = 0;
    for (long i = 0; i < per_thread; i++) {
        sum += hot ^ x;
        for (int k = 0; k < 12; k++) /* work of its own, in registers */
            x = x * 6364136223846793005ull + 1442695040888963407ull;
    }
    sums[me] = sum;
    return arg;
}

int main(int argc, char **argv)
{
    per_thread = bench_iterations(argc, argv, 10000000) / 2;
    hot = 2654435761u;
    pthread_t a, b;
    bench_check(pthread_create(&a, NULL, worker, (void *)0), "pthread_create");
    bench_check(pthread_create(&b, NULL, worker, (void *)1), "pthread_create");
    bench_check(pthread_join(a, NULL), "pthread_join");
    bench_check(pthread_join(b, NULL), "pthread_join");
    printf("watch_hot: iterations=%ld checksum=%llu\n", per_thread * 2, sums[0] + sums[1]);
    return 0;
}
