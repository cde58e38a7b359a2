/* A payload published through a release/acquire _Atomic flag: the flag
 * orders the two accesses to the payload.  Nothing to report. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

long payload;
_Atomic int ready;

static void *publisher(void *arg)
{
    usleep(20 * 1000);
    payload = 42;
    atomic_store_explicit(&ready, 1, memory_order_release);
    return arg;
}

static void *consumer(void *arg)
{
    while (!atomic_load_explicit(&ready, memory_order_acquire))
        usleep(1000);
    return (void *)payload;
}

int main(void)
{
    pthread_t a, b;
    void *got;
    pthread_create(&a, NULL, publisher, NULL);
    pthread_create(&b, NULL, consumer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, &got);
    printf("%ld\n", (long)got);
    return 0;
}
