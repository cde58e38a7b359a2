/* The main thread takes a then b, later b then a; then it destroys b and
 * initializes it again, and takes a then b once more.  The inversion is
 * latent and reported once; the re-created b is a new lock whose only
 * order (a then b) closes no cycle. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b;

static void in_order(void)
{
    pthread_mutex_lock(&lock_a); /* @a_first */
    pthread_mutex_lock(&lock_b); /* @b_second */
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
}

int main(void)
{
    pthread_mutex_init(&lock_b, NULL);
    in_order();
    pthread_mutex_lock(&lock_b); /* @b_first */
    pthread_mutex_lock(&lock_a); /* @a_second */
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_destroy(&lock_b);
    pthread_mutex_init(&lock_b, NULL);
    in_order();
    pthread_mutex_destroy(&lock_b);
    puts("done");
    return 0;
}
