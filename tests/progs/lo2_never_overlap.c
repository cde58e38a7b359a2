/* T1 takes a then b and is joined; only then is T2 created, which takes b
 * then a.  They never ran at the same time, so this run cannot deadlock;
 * two threads running ab() and ba() at once can: a latent inversion. */
#include <pthread.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *ab(void *arg)
{
    pthread_mutex_lock(&lock_a); /* @a_first */
    pthread_mutex_lock(&lock_b); /* @b_second */
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return arg;
}

static void *ba(void *arg)
{
    pthread_mutex_lock(&lock_b); /* @b_first */
    pthread_mutex_lock(&lock_a); /* @a_second */
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, ab, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, ba, NULL);
    pthread_join(t, NULL);
    return 0;
}
