/*
 * A program that crashes: its threads make a real lock-order cycle (a_lock
 * -> b_lock, b_lock -> a_lock, both joined), it prints a line, then a thread
 * dies of SIGSEGV (`fault_crash segv`) or calls abort() (`fault_crash
 * abort`).  lockscope run must keep the program's status (128 + signal),
 * and analyze the trace flushed at the crash: the cycle is in it.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
/* ba takes its locks only after ab has released its own (ab_done): both
 * threads are alive together, so the inversion is a real lock-order cycle,
 * but this run never deadlocks (a semaphore hand-off is not thread creation
 * or join, so lockscope must still report the cycle). */
static sem_t ab_done;
static const char *how = "segv";

static void *ab(void *arg)
{
    pthread_mutex_lock(&a_lock);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_unlock(&b_lock);
    pthread_mutex_unlock(&a_lock);
    sem_post(&ab_done);
    return arg;
}

static void *ba(void *arg)
{
    sem_wait(&ab_done);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_lock(&a_lock);
    pthread_mutex_unlock(&a_lock);
    pthread_mutex_unlock(&b_lock);
    return arg;
}

static void *crash(void *arg)
{
    pthread_mutex_lock(&a_lock); /* dies holding a lock */
    if (strcmp(how, "abort") == 0)
        abort();
    volatile int *volatile p = NULL;
    *p = 1;
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        how = argv[1];
    sem_init(&ab_done, 0, 0);
    pthread_t t1, t2, t3;
    pthread_create(&t1, NULL, ab, NULL);
    pthread_create(&t2, NULL, ba, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("about to crash with %s\n", how);
    fflush(stdout);
    pthread_create(&t3, NULL, crash, NULL);
    pthread_join(t3, NULL);
    printf("not reached\n");
    return 0;
}
