/*
 * Scale: 100,000 distinct mutexes (heap, initialized, locked under a global
 * lock, destroyed) by 2 threads, each mutex locked by both: 100,000 locks,
 * 100,000 lock-order edges, no cycle.  Usage: scale_mutexes [N].  Also the
 * program of the disk-full test: its trace is several MB.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *locks;
static long *counts;
static long n = 100000;

static void *worker(void *arg)
{
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&table_lock);
        pthread_mutex_lock(&locks[i]);
        counts[i]++;
        pthread_mutex_unlock(&locks[i]);
        pthread_mutex_unlock(&table_lock);
    }
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n = atol(argv[1]);
    locks = calloc((size_t)n, sizeof *locks);
    counts = calloc((size_t)n, sizeof *counts);
    for (long i = 0; i < n; i++)
        pthread_mutex_init(&locks[i], NULL);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, worker, NULL);
    pthread_create(&t2, NULL, worker, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    long sum = 0;
    for (long i = 0; i < n; i++) {
        sum += counts[i];
        pthread_mutex_destroy(&locks[i]);
    }
    printf("mutexes %ld lock operations %ld\n", n, sum);
    return 0;
}
