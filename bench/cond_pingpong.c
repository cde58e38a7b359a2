/*
 * Two threads hand a token back and forth through one mutex and one
 * condition variable: N round trips (default 200,000), every one a
 * condvar wait and a signal on each side.  Contended, and blocking.
 *
 * usage: cond_pingpong [ROUND_TRIPS]
 */
#include <pthread.h>

#include "bench_common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn; /* whose turn: 0 or 1 */
static unsigned long long checksum;
static long trips;

static void *player(void *arg)
{
    int me = (int)(long)arg;
    for (long i = 0; i < trips; i++) {
        pthread_mutex_lock(&lock);
        while (turn != me)
            pthread_cond_wait(&turn_changed, &lock);
        checksum = checksum * 31 + (unsigned long long)me + 1;
        turn = !me;
        pthread_cond_signal(&turn_changed);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    trips = bench_iterations(argc, argv, 200000);
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        bench_check(pthread_create(&t[i], NULL, player, (void *)i), "pthread_create");
    for (int i = 0; i < 2; i++)
        bench_check(pthread_join(t[i], NULL), "pthread_join");
    printf("cond_pingpong: round_trips=%ld checksum=%llu\n", trips, checksum);
    return 0;
}
