/* T1 takes a then b.  T2 holds b and only *tries* a, backing off when it is
 * busy: a trylock cannot block, so there is no deadlock.  Nothing to
 * report. */
#include <pthread.h>
#include <sched.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *ab(void *arg)
{
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&lock_a);
        pthread_mutex_lock(&lock_b);
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
    }
    return arg;
}

static void *b_try_a(void *arg)
{
    for (int i = 0; i < 10000;) {
        pthread_mutex_lock(&lock_b);
        if (pthread_mutex_trylock(&lock_a) == 0) {
            pthread_mutex_unlock(&lock_a);
            i++;
        }
        pthread_mutex_unlock(&lock_b);
        sched_yield();
    }
    return arg;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, ab, NULL);
    pthread_create(&t2, NULL, b_try_a, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
