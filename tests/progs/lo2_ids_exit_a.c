/* Two threads end holding a lock each, taken at different places: two
 * exit-holding-locks findings, with ids of their own. */
#include <pthread.h>

pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t right_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker_left(void *arg)
{
    pthread_mutex_lock(&left_lock); /* @left */
    return arg;
}

static void *worker_right(void *arg)
{
    pthread_mutex_lock(&right_lock); /* @right */
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, worker_left, NULL);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, worker_right, NULL);
    pthread_join(b, NULL);
    return 0;
}
