/* Two threads take the same two locks in opposite orders.  Here the second
 * waits until the first is done, so the test passes; without that wait (or
 * with other timing) the two can deadlock, and lockscope reports the cycle
 * either way. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static pthread_mutex_t accounts = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static sem_t deposited;
static long balance;

static void *deposit(void *arg)
{
    pthread_mutex_lock(&accounts);
    pthread_mutex_lock(&journal);
    balance++;
    pthread_mutex_unlock(&journal);
    pthread_mutex_unlock(&accounts);
    sem_post(&deposited);
    return arg;
}

static void *audit(void *arg)
{
    sem_wait(&deposited);
    pthread_mutex_lock(&journal);
    pthread_mutex_lock(&accounts);
    printf("balance %ld\n", balance);
    pthread_mutex_unlock(&accounts);
    pthread_mutex_unlock(&journal);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    sem_init(&deposited, 0, 0);
    pthread_create(&a, NULL, deposit, NULL);
    pthread_create(&b, NULL, audit, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
