/*
 * The seed's `n -= 1` without a lock: 100 threads each read n, sleep, and
 * write n - 1.  They all read 100 before anyone writes, so the program
 * prints 99 instead of 0.  lockscope reports the race on n.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int n = 100;

static void *work(void *arg)
{
    int temp = n;     /* @read */
    usleep(100 * 1000);
    n = temp - 1;     /* @write */
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
