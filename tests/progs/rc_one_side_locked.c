/* The writer takes the lock; the reader forgets it.  Holding the lock on
 * one side only does not order anything: a race. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long balance;
pthread_mutex_t balance_lock = PTHREAD_MUTEX_INITIALIZER;

static void *deposit(void *arg)
{
    usleep(20 * 1000);
    pthread_mutex_lock(&balance_lock);
    balance += 10; /* @locked_write */
    pthread_mutex_unlock(&balance_lock);
    return arg;
}

static void *audit(void *arg)
{
    usleep(20 * 1000);
    long seen = balance; /* @unlocked_read */
    usleep(1000);
    return (void *)seen;
}

int main(void)
{
    pthread_t a, b;
    void *seen;
    pthread_create(&a, NULL, deposit, NULL);
    pthread_create(&b, NULL, audit, NULL);
    pthread_join(a, NULL);
    pthread_join(b, &seen);
    printf("%s\n", (long)seen <= 10 ? "ok" : "?");
    return 0;
}
