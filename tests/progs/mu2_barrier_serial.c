/* The thread that pthread_barrier_wait returns PTHREAD_BARRIER_SERIAL_THREAD
 * to destroys the barrier at once, as POSIX allows (glibc's destroy waits
 * for the other threads to leave): correct, every time.  Rounds of five
 * threads, a new barrier for each round. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

#define THREADS 5
#define ROUNDS 20

static pthread_barrier_t barrier;

static void *arrive(void *arg)
{
    int r = pthread_barrier_wait(&barrier);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD)
        pthread_barrier_destroy(&barrier); /* @serial_destroys */
    else if (r != 0)
        puts("barrier wait failed");
    return arg;
}

int main(void)
{
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_init(&barrier, NULL, THREADS);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
            pthread_create(&t[i], NULL, arrive, NULL);
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
    }
    puts("done");
    return 0;
}
