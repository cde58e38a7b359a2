/* A counter updated with atomic_fetch_add by two threads: C11 atomics are
 * synchronization, not races.  Each thread also counts in a plain slot of
 * its own (mine[0], mine[1]), so that the test can see that accesses were
 * sampled beside the hot counter.  Nothing to report. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

atomic_long hits;
long mine[2];

static void *work(void *arg)
{
    long me = (long)arg;
    for (int i = 0; i < 100000; i++) {
        atomic_fetch_add(&hits, 1);
        mine[me]++;
    }
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, work, (void *)0);
    pthread_create(&b, NULL, work, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%ld %ld\n", (long)hits, mine[0] + mine[1]);
    return 0;
}
