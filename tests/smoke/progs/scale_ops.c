/*
 * Scale: 10,000,000 lock operations (lock/unlock pairs) by 4 threads on 4
 * mutexes, each pair taken in one global order (outer, then inner).
 * Usage: scale_ops [PAIRS_PER_THREAD] (default 2,500,000: 10 M pairs).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t inner[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                            PTHREAD_MUTEX_INITIALIZER};
long counter[3];
static long per_thread = 2500000;

static void *worker(void *arg)
{
    long k = (long)arg;
    for (long i = 0; i < per_thread; i++) {
        if (i % 64 == 0) { /* now and then, nested: outer -> inner */
            pthread_mutex_lock(&outer);
            pthread_mutex_lock(&inner[k % 3]);
            counter[k % 3]++;
            pthread_mutex_unlock(&inner[k % 3]);
            pthread_mutex_unlock(&outer);
        } else {
            pthread_mutex_lock(&inner[(k + i) % 3]);
            counter[(k + i) % 3]++;
            pthread_mutex_unlock(&inner[(k + i) % 3]);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        per_thread = atol(argv[1]);
    pthread_t t[4];
    for (long k = 0; k < 4; k++)
        pthread_create(&t[k], NULL, worker, (void *)k);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    printf("lock pairs %ld\n", counter[0] + counter[1] + counter[2]);
    return 0;
}
