/*
 * Dies of SIGSEGV while a second thread waits for the lock the crashing
 * thread holds: the timeline's last events must still be in the trace
 * (written from the fatal signal's handler).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t doomed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;

static void *other(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
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
    usleep(100000);
    fflush(stdout);
    raise(SIGSEGV);
    pthread_mutex_unlock(&doomed_lock);
    pthread_join(t, NULL);
    return 0;
}
