/* A counter updated with atomic_fetch_add by two threads: C11 atomics are
 * synchronization, not races.  Nothing to report. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

atomic_long hits;

static void *work(void *arg)
{
    for (int i = 0; i < 100000; i++)
        atomic_fetch_add(&hits, 1);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, work, NULL);
    pthread_create(&b, NULL, work, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%ld\n", (long)hits);
    return 0;
}
