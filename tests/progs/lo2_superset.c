/* Four threads, alive at once: a then b, b then a, b then c, c then a.
 * The cycles are a => b => a and a => b => c => a; the second holds every
 * lock of the first, so only the first (the smallest through its locks)
 * is reported.  Turns are taken one after another: this run does not
 * hang. */
#include <pthread.h>
#include <semaphore.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
static sem_t turn[5];

struct order {
    int i;
    pthread_mutex_t *first, *second;
};

static void *nested(void *arg)
{
    struct order *o = arg;
    sem_wait(&turn[o->i]);
    pthread_mutex_lock(o->first);
    pthread_mutex_lock(o->second);
    pthread_mutex_unlock(o->second);
    pthread_mutex_unlock(o->first);
    sem_post(&turn[o->i + 1]);
    return NULL;
}

int main(void)
{
    struct order o[4] = {
        {0, &lock_a, &lock_b}, {1, &lock_b, &lock_a}, {2, &lock_b, &lock_c}, {3, &lock_c, &lock_a}};
    pthread_t t[4];
    for (int i = 0; i < 5; i++)
        sem_init(&turn[i], 0, 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, nested, &o[i]);
    sem_post(&turn[0]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return 0;
}
