/* One thread takes a then b, later b then a: the code has two orders.  This
 * run cannot deadlock (one thread), but two threads running it can: a
 * latent inversion, reported as such, not failing the run. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *both_orders(void *arg)
{
    pthread_mutex_lock(&lock_a); /* @a_first */
    pthread_mutex_lock(&lock_b); /* @b_second */
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_lock(&lock_b); /* @b_first */
    pthread_mutex_lock(&lock_a); /* @a_second */
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, both_orders, NULL);
    pthread_join(t, NULL);
    puts("done");
    return 0;
}
