/*
 * Every kind of blocking wait the timeline records, in a correct program:
 * a contended mutex, a write lock waiting for a reader, a condvar (and one
 * with a timeout that expires), a
 * semaphore, a barrier and joins; and holds that do not nest (a, b taken,
 * a released first) and a recursive mutex taken twice.  Nothing to report.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tl_blocked.h"

static pthread_mutex_t held_long = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t again = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t tick_cv = PTHREAD_COND_INITIALIZER; /* never signalled: times out */
static int ready;
static sem_t tokens;
static pthread_barrier_t meet;
static int shared;
static _Atomic int stage, waiter_tid; /* how far the waiter is (tl_blocked.h) */

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held_long);
    pthread_rwlock_rdlock(&table);
    pthread_barrier_wait(&meet);   /* the other side now waits for both */
    tl_until_blocked(&stage, 1, &waiter_tid);
    shared++;
    pthread_mutex_unlock(&held_long); /* released before the read lock: no nesting */
    tl_until_blocked(&stage, 2, &waiter_tid);
    pthread_rwlock_unlock(&table);
    tl_until_blocked(&stage, 3, &waiter_tid);
    pthread_mutex_lock(&cv_lock);
    ready = 1;
    pthread_cond_signal(&ready_cv);
    pthread_mutex_unlock(&cv_lock);
    tl_until_blocked(&stage, 4, &waiter_tid);
    sem_post(&tokens);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&waiter_tid, tl_gettid());
    pthread_barrier_wait(&meet);
    atomic_store(&stage, 1);
    pthread_mutex_lock(&held_long);  /* waits: holder has it */
    shared++;
    pthread_mutex_unlock(&held_long);
    atomic_store(&stage, 2);
    pthread_rwlock_wrlock(&table);   /* waits: holder reads it */
    shared++;
    pthread_rwlock_unlock(&table);
    pthread_mutex_lock(&cv_lock);
    atomic_store(&stage, 3);
    while (!ready)
        pthread_cond_wait(&ready_cv, &cv_lock);
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_nsec += 5000000;
    if (soon.tv_nsec >= 1000000000L) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&tick_cv, &cv_lock, &soon);
    pthread_mutex_unlock(&cv_lock);
    atomic_store(&stage, 4);
    sem_wait(&tokens);               /* waits for holder's post */
    /* holds that do not nest */
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_lock(&again);
    pthread_mutex_lock(&again);
    shared++;
    pthread_mutex_unlock(&again);
    pthread_mutex_unlock(&again);
    return NULL;
}

int main(void)
{
    pthread_t h, w;
    sem_init(&tokens, 0, 0);
    pthread_barrier_init(&meet, NULL, 2);
    pthread_create(&h, NULL, holder, NULL);
    pthread_create(&w, NULL, waiter, NULL);
    pthread_join(h, NULL);
    pthread_join(w, NULL);
    printf("shared=%d\n", shared);
    return 0;
}
