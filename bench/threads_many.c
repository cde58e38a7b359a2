/*
 * Memory per thread: N threads (default 1000) alive at once, each taking
 * two mutexes nested (a lock-order edge, so its stacks are captured) and
 * then waiting at a barrier until all have; then they end.  bench/run
 * divides the difference in peak RSS between a run under lockscope and a
 * native run by N.
 *
 * usage: threads_many [THREADS]
 */
#include <pthread.h>

#include "bench_common.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t all_here;
static unsigned long long checksum;

static void *worker(void *arg)
{
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    checksum += (unsigned long long)(long)arg;
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    pthread_barrier_wait(&all_here);
    return NULL;
}

int main(int argc, char **argv)
{
    long n = bench_iterations(argc, argv, 1000);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    pthread_attr_t attr;
    if (!t)
        return 1;
    /* Small stacks: the program's own memory stays small beside the tool's. */
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    bench_check(pthread_barrier_init(&all_here, NULL, (unsigned)n + 1), "pthread_barrier_init");
    for (long i = 0; i < n; i++)
        bench_check(pthread_create(&t[i], &attr, worker, (void *)(i + 1)), "pthread_create");
    pthread_barrier_wait(&all_here);
    for (long i = 0; i < n; i++)
        bench_check(pthread_join(t[i], NULL), "pthread_join");
    printf("threads_many: threads=%ld checksum=%llu\n", n, checksum);
    free(t);
    return 0;
}
