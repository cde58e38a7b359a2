/*
 * The seed's `n -= 1` with the lock around it: 100 threads each take the
 * lock, read n, sleep, write n - 1.  Prints 0.  Nothing to report.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int n = 100;
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg)
{
    pthread_mutex_lock(&lock);
    int temp = n;
    usleep(1000);
    n = temp - 1;
    pthread_mutex_unlock(&lock);
    return arg;
}

int main(void)
{
    pthread_t t[100];
    for (int i = 0; i < 100; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 100; i++)
        pthread_join(t[i], NULL);
    printf("%d\n", n);
    return 0;
}
