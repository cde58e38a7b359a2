/* Synchronization lockscope cannot see by itself: a plain int flag set and
 * read with __atomic builtins (not a C11 _Atomic object).  With the
 * annotations of lockscope/annotate.h the hand-off is known and the
 * payload is clean; built with -DNO_ANNOTATIONS the same program reports a
 * race on `payload` (the annotations are what makes the difference). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "lockscope/annotate.h"

#ifdef NO_ANNOTATIONS
#define lockscope_happens_before(addr) ((void)(addr))
#define lockscope_happens_after(addr) ((void)(addr))
#endif

long payload;
int ready;

static void *publisher(void *arg)
{
    usleep(20 * 1000);
    payload = 42; /* @write */
    lockscope_happens_before(&ready);
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    return arg;
}

static void *consumer(void *arg)
{
    while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
        usleep(1000);
    lockscope_happens_after(&ready);
    long v = payload; /* @read */
    usleep(1000);
    return (void *)v;
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
