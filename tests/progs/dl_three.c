/* Three threads in a ring: each holds its own lock and then wants the next
 * thread's.  A barrier makes sure all three hold theirs first, so it really
 * deadlocks, every time. */
#include <pthread.h>

pthread_mutex_t ring_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t ring_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t ring_c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *ring[3] = {&ring_a, &ring_b, &ring_c};
static pthread_barrier_t all_hold;

static void *member(void *arg)
{
    long i = (long)arg;
    pthread_mutex_lock(ring[i]);
    pthread_barrier_wait(&all_hold);
    pthread_mutex_lock(ring[(i + 1) % 3]);
    pthread_mutex_unlock(ring[(i + 1) % 3]);
    pthread_mutex_unlock(ring[i]);
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    pthread_barrier_init(&all_hold, NULL, 3);
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, member, (void *)i);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    return 0;
}
