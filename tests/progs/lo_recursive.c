/* A recursive mutex taken again by its owner, and a lock order that is the
 * same everywhere (outer, then r).  Nothing to report. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t r;

static int depth(int n)
{
    pthread_mutex_lock(&r);
    int v = n > 0 ? depth(n - 1) + 1 : 0;
    pthread_mutex_unlock(&r);
    return v;
}

static void *work(void *arg)
{
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&outer);
        depth(5);
        pthread_mutex_unlock(&outer);
        depth(3);
    }
    return arg;
}

int main(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&r, &a);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("%d\n", depth(7));
    pthread_mutex_destroy(&r);
    return 0;
}
