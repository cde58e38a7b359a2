/*
 * A program whose threads block every signal (as many servers do, leaving
 * signals to one thread): 4 workers with all signals blocked increment a
 * global under a lock 200,000 times each (a hot, watched global), and two
 * of them also race on `unlocked_total` (written without the lock).  The
 * main thread also blocks everything.  lockscope's watchpoint SIGTRAPs
 * cannot be delivered to these threads: the program must still run
 * correctly, in bounded time, and be analyzed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;
long locked_total;
long unlocked_total;

static void *worker(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (int i = 0; i < 200000; i++) {
        pthread_mutex_lock(&total_lock);
        locked_total++;
        pthread_mutex_unlock(&total_lock);
    }
    if ((long)arg < 2) {
        usleep(20 * 1000);
        unlocked_total += 1; /* the race */
    }
    return arg;
}

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_t t[4];
    for (long k = 0; k < 4; k++)
        pthread_create(&t[k], NULL, worker, (void *)k);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    printf("locked %ld unlocked %s\n", locked_total, unlocked_total >= 1 ? "set" : "unset");
    return 0;
}
