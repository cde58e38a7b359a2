/* The poster destroys a semaphore right after its post released the only
 * waiter, which may still be on its way out of sem_wait: nobody is blocked
 * on it any more, so POSIX allows it.  Correct, every round. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static sem_t sem, ready;

static void *waiter(void *arg)
{
    sem_post(&ready);
    sem_wait(&sem);
    return arg;
}

int main(void)
{
    sem_init(&ready, 0, 0);
    for (int round = 0; round < 10; round++) {
        sem_init(&sem, 0, 0);
        pthread_t t;
        pthread_create(&t, NULL, waiter, NULL);
        sem_wait(&ready);
        usleep(5 * 1000); /* it blocks in sem_wait */
        sem_post(&sem);
        sem_destroy(&sem); /* @poster_destroys */
        pthread_join(t, NULL);
    }
    puts("done");
    return 0;
}
