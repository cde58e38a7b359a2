/* A deadlock in which one side waits with pthread_mutex_timedlock, but with
 * a deadline an hour away: as good as forever.  Reported like any other. */
#include <pthread.h>
#include <time.h>

pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t right_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *lr(void *arg)
{
    pthread_mutex_lock(&left_lock);
    pthread_barrier_wait(&both_hold);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 3600;
    pthread_mutex_timedlock(&right_lock, &ts);
    return arg;
}

static void *rl(void *arg)
{
    pthread_mutex_lock(&right_lock);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&left_lock);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, lr, NULL);
    pthread_create(&b, NULL, rl, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
