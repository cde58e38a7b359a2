/*
 * Many lock pairs in two threads: with a small ring (timeline=64) only the
 * last events of each thread are kept, and the trace stays small.  Then
 * 300 short threads one after the other, whose states (and rings) the shim
 * recycles: each still has its own track.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *work(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        pthread_mutex_lock(&busy_lock);
        total++;
        pthread_mutex_unlock(&busy_lock);
    }
    return NULL;
}

static void *once(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&busy_lock);
    total++;
    pthread_mutex_unlock(&busy_lock);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, work, NULL);
    pthread_create(&b, NULL, work, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    for (int i = 0; i < 300; i++) {
        pthread_t c;
        pthread_create(&c, NULL, once, NULL);
        pthread_join(c, NULL);
    }
    printf("total=%ld\n", total);
    return 0;
}
