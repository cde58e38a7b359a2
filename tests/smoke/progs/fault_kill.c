/*
 * Killed mid-run: the threads make a real lock-order cycle (a_lock ->
 * b_lock, b_lock -> a_lock), then many distinct locks so that the shim's
 * trace buffer fills and is flushed, then the process is killed with
 * SIGKILL while its threads are still locking.  Usage: fault_kill [LOCKS]
 * (default 20000 locks; 0 = kill before anything was flushed).
 * The output before the kill is flushed, so it can be compared.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
/* ba takes its locks only after ab has released its own (ab_done): both
 * threads are alive together, so the inversion is a real lock-order cycle,
 * but this run never deadlocks (a semaphore hand-off is not thread creation
 * or join, so lockscope must still report the cycle). */
static sem_t ab_done;
static pthread_barrier_t both;
static long nlocks = 20000;

static void many_locks(void)
{
    pthread_mutex_t *m = calloc((size_t)nlocks, sizeof *m);
    for (long i = 0; i < nlocks; i++) {
        pthread_mutex_init(&m[i], NULL);
        pthread_mutex_lock(&a_lock);
        pthread_mutex_lock(&m[i]);
        pthread_mutex_unlock(&m[i]);
        pthread_mutex_unlock(&a_lock);
    }
}

static void *ab(void *arg)
{
    pthread_mutex_lock(&a_lock);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_unlock(&b_lock);
    pthread_mutex_unlock(&a_lock);
    sem_post(&ab_done);
    pthread_barrier_wait(&both);
    many_locks();
    for (;;) { /* still running when killed */
        pthread_mutex_lock(&a_lock);
        pthread_mutex_unlock(&a_lock);
    }
    return arg;
}

static void *ba(void *arg)
{
    sem_wait(&ab_done);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_lock(&a_lock);
    pthread_mutex_unlock(&a_lock);
    pthread_mutex_unlock(&b_lock);
    pthread_barrier_wait(&both);
    for (;;) {
        pthread_mutex_lock(&b_lock);
        pthread_mutex_unlock(&b_lock);
    }
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nlocks = atol(argv[1]);
    sem_init(&ab_done, 0, 0);
    pthread_barrier_init(&both, NULL, 3);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, ab, NULL);
    pthread_create(&t2, NULL, ba, NULL);
    pthread_barrier_wait(&both);
    printf("running\n");
    fflush(stdout);
    usleep(nlocks ? 300000 : 1000);
    kill(getpid(), SIGKILL);
    pause();
    return 0;
}
