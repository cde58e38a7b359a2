/* The main thread reads a flag a detached thread writes: nothing orders
 * them (a detached thread is never joined). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int done_flag;

static void *background(void *arg)
{
    usleep(10 * 1000);
    done_flag = 1; /* @detached_write */
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &a, background, NULL);
    while (!done_flag) /* @main_read */
        usleep(1000);
    puts("done");
    return 0;
}
