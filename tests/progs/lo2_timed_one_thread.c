/* One thread takes a then b, later b then a with a timeout on a: that
 * acquisition gives up by itself, so the orders cannot hold a deadlock
 * together.  Nothing to report. */
#include <pthread.h>
#include <time.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    pthread_mutex_lock(&lock_b);
    if (pthread_mutex_timedlock(&lock_a, &ts) == 0)
        pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return 0;
}
