/* Barriers whose init or destroy races with a wait.
 * usage: sl_barrier init-race|destroy-inside
 *   init-race:      main initializes `bar` while T1 sleeps; T1 then waits at it,
 *                   with nothing between the two;
 *   destroy-inside: T1 is inside pthread_barrier_wait (blocked, the round needs
 *                   two) when T2 destroys `bar`.  glibc's destroy then waits
 *                   for a round that never ends: both threads are detached
 *                   and main exits while they are blocked. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t bar;
static int late;

static void *arrive(void *arg)
{
    if (late)
        usleep(150 * 1000);
    pthread_barrier_wait(&bar); /* @wait */
    return arg;
}

static void *destroy(void *arg)
{
    pthread_barrier_destroy(&bar); /* @destroy */
    return arg;
}

/* glibc's own count of the threads in the current round (its first word). */
static void until_inside(void)
{
    for (int i = 0; i < 5000 && __atomic_load_n((unsigned *)(void *)&bar, __ATOMIC_ACQUIRE) == 0; i++)
        usleep(1000);
    usleep(20 * 1000);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_t t1, t2;
    if (!strcmp(mode, "init-race")) {
        late = 1;
        pthread_create(&t1, NULL, arrive, NULL);
        pthread_barrier_init(&bar, NULL, 2); /* @init */
        pthread_barrier_wait(&bar);
        pthread_join(t1, NULL);
        pthread_barrier_destroy(&bar);
    } else if (!strcmp(mode, "destroy-inside")) {
        pthread_barrier_init(&bar, NULL, 2);
        pthread_create(&t1, NULL, arrive, NULL);
        pthread_detach(t1);
        until_inside();
        pthread_create(&t2, NULL, destroy, NULL);
        pthread_detach(t2);
        usleep(200 * 1000);
    } else {
        fprintf(stderr, "usage: sl_barrier init-race|destroy-inside\n");
        return 2;
    }
    puts("done");
    return 0;
}
