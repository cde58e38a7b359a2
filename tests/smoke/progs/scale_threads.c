/*
 * Scale: 1,000 threads alive at once.  Each takes a global lock and its
 * bucket's lock (always in that order) and adds to a global counter, then
 * waits at a barrier so that all 1,000 exist together.  Usage:
 * scale_threads [N].  Prints the total; nothing to report.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define BUCKETS 16

pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t bucket_lock[BUCKETS];
long total;
long bucket_count[BUCKETS];
static pthread_barrier_t all_there;

static void *worker(void *arg)
{
    long i = (long)arg;
    pthread_mutex_lock(&total_lock);
    pthread_mutex_lock(&bucket_lock[i % BUCKETS]);
    total += i;
    bucket_count[i % BUCKETS]++;
    pthread_mutex_unlock(&bucket_lock[i % BUCKETS]);
    pthread_mutex_unlock(&total_lock);
    pthread_barrier_wait(&all_there);
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    pthread_t *t = calloc((size_t)n, sizeof *t);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    for (int b = 0; b < BUCKETS; b++)
        pthread_mutex_init(&bucket_lock[b], NULL);
    pthread_barrier_init(&all_there, NULL, (unsigned)n);
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], &attr, worker, (void *)i) != 0) {
            fprintf(stderr, "pthread_create %ld failed\n", i);
            return 1;
        }
    for (long i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("threads %ld total %ld bucket0 %ld\n", n, total, bucket_count[0]);
    return 0;
}
