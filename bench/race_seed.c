/*
 * The seed's race, scaled: T threads (default 100) each do `temp = n;
 * n = temp - 1` with a short pause between, N rounds.  It races (and
 * lockscope reports it); the bench times the watchpoints on a program whose
 * shared global is touched by many threads.
 *
 * usage: race_seed [ROUNDS]
 */
#include <pthread.h>
#include <sched.h>

#include "bench_common.h"

long n;
static long rounds;

static void *work(void *arg)
{
    for (long r = 0; r < rounds; r++) {
        long temp = n;
        sched_yield();
        n = temp - 1;
    }
    return arg;
}

int main(int argc, char **argv)
{
    rounds = bench_iterations(argc, argv, 2000);
    pthread_t t[100];
    for (int i = 0; i < 100; i++)
        bench_check(pthread_create(&t[i], NULL, work, NULL), "pthread_create");
    for (int i = 0; i < 100; i++)
        bench_check(pthread_join(t[i], NULL), "pthread_join");
    /* The value depends on the interleaving: no checksum to compare. */
    printf("race_seed: rounds=%ld checksum=racy\n", rounds);
    return 0;
}
