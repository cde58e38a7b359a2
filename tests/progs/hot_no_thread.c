/* A process that never starts a thread: it takes a mutex and a condvar's
 * mutex, signals nobody, and exits.  Its trace needs no unwinder before its
 * first lock and no watchpoints at all; it must come out clean, with the
 * same output. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static long total;

int main(void)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&m); /* @lock */
        total += i;
        pthread_cond_signal(&c);
        pthread_mutex_unlock(&m);
    }
    printf("total=%ld\n", total);
    return 0;
}
