/* A thread T1 creates two threads and hands both the address of its own
 * __thread buffer; both write the same slot of it (a race on T1's TLS).
 * With "locked", they write it holding a mutex: clean. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static __thread int tls_slots[4];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int locked;

static void *writer(void *p)
{
    int *slots = p;
    int lk = locked; /* read once: the loop is about the shared memory */
    for (int k = 0; k < 20000000; k++) {
        if (lk)
            pthread_mutex_lock(&m);
        ((volatile int *)slots)[2] += 1; /* @write */
        if (lk)
            pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *owner(void *p)
{
    (void)p;
    pthread_t a, b;
    pthread_create(&a, NULL, writer, tls_slots);
    pthread_create(&b, NULL, writer, tls_slots);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return (void *)(long)(tls_slots[2] > 0);
}

int main(int argc, char **argv)
{
    locked = argc > 1 && !strcmp(argv[1], "locked");
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, owner, NULL);
    pthread_join(t, &r);
    printf("%ld\n", (long)r);
    return 0;
}
