/*
 * The seed's `n -= 1` without a lock, but each thread is joined right after
 * it starts: the threads never overlap, the program prints 0, and nothing
 * may be reported.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int n = 100;

static void *work(void *arg)
{
    int temp = n;
    usleep(1000);
    n = temp - 1;
    return arg;
}

int main(void)
{
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        pthread_create(&t, NULL, work, NULL);
        pthread_join(t, NULL);
    }
    printf("%d\n", n);
    return 0;
}
