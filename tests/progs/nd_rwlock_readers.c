/* Two threads take two rwlocks in opposite orders, but only ever for
 * reading: readers do not block readers, so this cannot deadlock.  Nothing
 * to report.  The same pattern with one writer is in dl_rwlock_cycle.c. */
#include <pthread.h>

pthread_rwlock_t left = PTHREAD_RWLOCK_INITIALIZER;
pthread_rwlock_t right = PTHREAD_RWLOCK_INITIALIZER;

static void *lr(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_rwlock_rdlock(&left);
        pthread_rwlock_rdlock(&right);
        pthread_rwlock_unlock(&right);
        pthread_rwlock_unlock(&left);
    }
    return arg;
}

static void *rl(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_rwlock_rdlock(&right);
        pthread_rwlock_rdlock(&left);
        pthread_rwlock_unlock(&left);
        pthread_rwlock_unlock(&right);
    }
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, lr, NULL);
    pthread_create(&b, NULL, rl, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
