/* 160,000 distinct lock-order edges and one real cycle hidden among them.
 * Two threads each take every pair of a grid of locks, one of group A and
 * then one of group B (A before B: no cycle).  Once both are done (a
 * barrier, which orders nothing for lock order), the second thread takes
 * hidden_b, a lock of group B, and then hidden_a, one of group A: a cycle
 * of two locks, through edges among 160,000, that can deadlock. */
#include <pthread.h>
#include <stdio.h>

#define NA 400
#define NB 400

pthread_mutex_t hidden_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t hidden_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t grid_a[NA - 1], grid_b[NB - 1];
static pthread_mutex_t *group_a[NA], *group_b[NB];
static pthread_barrier_t done;
static long taken[2]; /* each thread's own count */

static void take_grid(int start, long *count)
{
    /* Rows in a different order in each thread: the table sees each pair
     * from both, at different times. */
    for (int k = 0; k < NA; k++) {
        int i = (k * 7 + start) % NA;
        for (int j = 0; j < NB; j++) {
            pthread_mutex_lock(group_a[i]); /* @a_first */
            pthread_mutex_lock(group_b[j]); /* @b_second */
            (*count)++;
            pthread_mutex_unlock(group_b[j]);
            pthread_mutex_unlock(group_a[i]);
        }
    }
}

static void *first(void *arg)
{
    (void)arg;
    take_grid(0, &taken[0]);
    pthread_barrier_wait(&done);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    take_grid(NA / 2, &taken[1]);
    pthread_barrier_wait(&done);
    pthread_mutex_lock(&hidden_b); /* @b_first */
    pthread_mutex_lock(&hidden_a); /* @a_second */
    taken[1]++;
    pthread_mutex_unlock(&hidden_a);
    pthread_mutex_unlock(&hidden_b);
    return NULL;
}

int main(void)
{
    for (int i = 0; i < NA - 1; i++)
        pthread_mutex_init(&grid_a[i], NULL);
    for (int i = 0; i < NB - 1; i++)
        pthread_mutex_init(&grid_b[i], NULL);
    /* The hidden locks sit among the others, not at an end. */
    for (int i = 0, k = 0; i < NA; i++)
        group_a[i] = i == 137 ? &hidden_a : &grid_a[k++];
    for (int i = 0, k = 0; i < NB; i++)
        group_b[i] = i == 262 ? &hidden_b : &grid_b[k++];
    pthread_barrier_init(&done, NULL, 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("taken=%ld,%ld\n", taken[0], taken[1]);
    return 0;
}
