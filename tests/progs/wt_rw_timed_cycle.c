/* A reader (or writer) holding `rw_lock` waits for mutex `b_lock`, while
 * b_lock's holder asks for rw_lock with a timed or clock rwlock call whose
 * deadline is an hour away: as good as forever.  The argument picks the
 * call: timedwr (default), clockwr, timedrd, clockrd. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

pthread_rwlock_t rw_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;
static const char *mode = "timedwr";

static void *holds_rw(void *arg)
{
    if (strstr(mode, "rd"))
        pthread_rwlock_wrlock(&rw_lock); /* a read request waits for a writer */
    else
        pthread_rwlock_rdlock(&rw_lock);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&b_lock); /* @want_b */
    pthread_mutex_unlock(&b_lock);
    pthread_rwlock_unlock(&rw_lock);
    return arg;
}

static void *holds_b(void *arg)
{
    pthread_mutex_lock(&b_lock);
    pthread_barrier_wait(&both_hold);
    struct timespec ts;
    int clock = !strncmp(mode, "clock", 5);
    clock_gettime(clock ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
    ts.tv_sec += 3600;
    int r;
    if (!strcmp(mode, "clockwr"))
        r = pthread_rwlock_clockwrlock(&rw_lock, CLOCK_MONOTONIC, &ts); /* @want_rw */
    else if (!strcmp(mode, "clockrd"))
        r = pthread_rwlock_clockrdlock(&rw_lock, CLOCK_MONOTONIC, &ts);
    else if (!strcmp(mode, "timedrd"))
        r = pthread_rwlock_timedrdlock(&rw_lock, &ts);
    else
        r = pthread_rwlock_timedwrlock(&rw_lock, &ts);
    if (r == 0)
        pthread_rwlock_unlock(&rw_lock);
    pthread_mutex_unlock(&b_lock);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        mode = argv[1];
    pthread_t a, b;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, holds_rw, NULL);
    pthread_create(&b, NULL, holds_b, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("finished\n");
    return 0;
}
