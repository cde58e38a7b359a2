/* Waits that end by themselves must not be taken for deadlocks:
 *  - a timed lock that times out and backs off, in a lock-order inversion
 *    that can never block for good;
 *  - a lock held for 3 s while another thread waits for it;
 *  - 200 threads contending on 3 locks (always in the same order);
 *  - a thread joined while it is still busy for a while. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t few[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                          PTHREAD_MUTEX_INITIALIZER};
static long counter;

static void *holds_b_tries_a(void *arg)
{
    pthread_mutex_lock(&lock_b);
    usleep(300 * 1000);
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_mutex_timedlock(&lock_a, &ts) == 0)
            break;
        /* back off: let the other side have lock_b */
        pthread_mutex_unlock(&lock_b);
        usleep(20 * 1000);
        pthread_mutex_lock(&lock_b);
    }
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return arg;
}

static void *holds_a_wants_b(void *arg)
{
    pthread_mutex_lock(&lock_a);
    usleep(100 * 1000);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return arg;
}

static void *slow_holder(void *arg)
{
    pthread_mutex_lock(&slow_lock);
    usleep(3000 * 1000);
    pthread_mutex_unlock(&slow_lock);
    return arg;
}

static void *slow_waiter(void *arg)
{
    usleep(100 * 1000);
    pthread_mutex_lock(&slow_lock);
    pthread_mutex_unlock(&slow_lock);
    return arg;
}

static void *contender(void *arg)
{
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&few[0]);
        pthread_mutex_lock(&few[i % 2 + 1]);
        counter++;
        pthread_mutex_unlock(&few[i % 2 + 1]);
        pthread_mutex_unlock(&few[0]);
    }
    return arg;
}

int main(void)
{
    pthread_t t[204];
    pthread_create(&t[0], NULL, holds_b_tries_a, NULL);
    pthread_create(&t[1], NULL, holds_a_wants_b, NULL);
    pthread_create(&t[2], NULL, slow_holder, NULL);
    pthread_create(&t[3], NULL, slow_waiter, NULL);
    for (int i = 4; i < 204; i++)
        pthread_create(&t[i], NULL, contender, NULL);
    for (int i = 0; i < 204; i++)
        pthread_join(t[i], NULL);
    printf("%ld\n", counter);
    return 0;
}
