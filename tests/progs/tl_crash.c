/*
 * Dies of SIGSEGV while a second thread waits for the lock the crashing
 * thread holds: the timeline's last events must still be in the trace
 * (written from the fatal signal's handler).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "tl_blocked.h"

static pthread_mutex_t doomed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static _Atomic int stage, other_tid;

static void *other(void *arg)
{
    (void)arg;
    atomic_store(&other_tid, tl_gettid());
    pthread_barrier_wait(&start);
    atomic_store(&stage, 1);
    pthread_mutex_lock(&doomed_lock); /* waits until the process dies */
    pthread_mutex_unlock(&doomed_lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&start, NULL, 2);
    pthread_create(&t, NULL, other, NULL);
    pthread_mutex_lock(&doomed_lock);
    pthread_barrier_wait(&start);
    tl_until_blocked(&stage, 1, &other_tid);
    fflush(stdout);
    raise(SIGSEGV);
    pthread_mutex_unlock(&doomed_lock);
    pthread_join(t, NULL);
    return 0;
}
