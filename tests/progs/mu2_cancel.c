/* Threads cancelled while they wait on a condvar or a semaphore (both are
 * cancellation points) are no longer waiting: destroying the condvar and
 * the semaphore afterwards is correct. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static sem_t sem, ready;

static void unlock(void *arg)
{
    pthread_mutex_unlock(arg);
}

static void *cond_waiter(void *arg)
{
    pthread_mutex_lock(&m);
    pthread_cleanup_push(unlock, &m);
    sem_post(&ready);
    for (;;)
        pthread_cond_wait(&cv, &m);
    pthread_cleanup_pop(1);
    return arg;
}

static void *sem_waiter(void *arg)
{
    sem_post(&ready);
    for (;;)
        sem_wait(&sem);
    return arg;
}

int main(void)
{
    pthread_cond_init(&cv, NULL);
    sem_init(&sem, 0, 0);
    sem_init(&ready, 0, 0);
    pthread_t c, s;
    pthread_create(&c, NULL, cond_waiter, NULL);
    pthread_create(&s, NULL, sem_waiter, NULL);
    sem_wait(&ready);
    sem_wait(&ready);
    pthread_mutex_lock(&m); /* the condvar waiter waits */
    pthread_mutex_unlock(&m);
    usleep(20 * 1000); /* and the semaphore waiter too */
    pthread_cancel(c);
    pthread_cancel(s);
    pthread_join(c, NULL);
    pthread_join(s, NULL);
    pthread_cond_destroy(&cv);
    sem_destroy(&sem);
    puts("done");
    return 0;
}
