/* Robust mutexes: a thread ends holding one, the next locker gets
 * EOWNERDEAD, repairs the state and calls pthread_mutex_consistent; the
 * main thread exits holding another.  That is what robust mutexes are for:
 * no exit-holding-locks, no held-at-process-exit.
 * usage: mu2_robust correct|no-consistent
 *   no-consistent: the locker unlocks without pthread_mutex_consistent, and
 *   the mutex becomes unusable (the next lock fails with ENOTRECOVERABLE). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t shared, at_exit;
static int state;

static void *dies_holding(void *arg)
{
    pthread_mutex_lock(&shared);
    state = 1; /* half-way through an update */
    return arg;
}

static void robust_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

int main(int argc, char **argv)
{
    int consistent = !(argc > 1 && !strcmp(argv[1], "no-consistent"));
    robust_init(&shared);
    robust_init(&at_exit);
    pthread_t t;
    pthread_create(&t, NULL, dies_holding, NULL);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(&shared);
    if (r == EOWNERDEAD) {
        state = 0; /* repaired */
        if (consistent)
            pthread_mutex_consistent(&shared);
    }
    pthread_mutex_unlock(&shared); /* @unlock_owner_dead */
    r = pthread_mutex_lock(&shared); /* @lock_again */
    printf("second lock: %s\n", r == 0 ? "ok" : strerror(r));
    if (r == 0)
        pthread_mutex_unlock(&shared);
    pthread_mutex_lock(&at_exit); /* held at exit: robust, recovered by the next process */
    return 0;
}
