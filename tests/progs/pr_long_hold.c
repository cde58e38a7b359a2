/* One hold of 1.3 s among short ones: acquisition N (the argument) of
 * config_lock sleeps 1.3 s before it unlocks; the 39 others hold it for
 * nothing.  A second thread runs meanwhile, taking config_lock now and
 * then, as a program's would.  The program prints how long its longest
 * hold lasted, as it measured it; the long-hold report must list it,
 * whichever acquisition it was. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static int config_value;

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void *reader(void *arg)
{
    struct timespec ms = {0, 50 * 1000000L};
    for (int i = 0; i < 4; i++) {
        pthread_mutex_lock(&config_lock);
        int v = config_value;
        pthread_mutex_unlock(&config_lock);
        (void)v;
        nanosleep(&ms, NULL);
    }
    return arg;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    unsigned long long longest = 0;
    struct timespec slow = {1, 300 * 1000000L};
    for (int i = 1; i <= 40; i++) {
        pthread_mutex_lock(&config_lock);
        unsigned long long t0 = now_ns();
        config_value = i;
        if (i == n)
            nanosleep(&slow, NULL);
        unsigned long long held = now_ns() - t0;
        pthread_mutex_unlock(&config_lock);
        if (held > longest)
            longest = held;
    }
    pthread_join(t, NULL);
    printf("acquisition %d held_max_ns=%llu\n", n, longest);
    return 0;
}
