/* Four threads take many pairs of locks, each pair's edges made by one
 * thread after another.  T1 and T2 each take every pair of a grid (one
 * lock of group A, then one of group B) twice over, and are joined; only
 * then do T3 and T4 take the grid too.  The first pair of every round is
 * hidden_a then hidden_b.  After a barrier (which orders nothing for
 * lock order), T4 takes hidden_b then hidden_a: with T3's hidden_a ->
 * hidden_b, a cycle of two threads that run at the same time.  T1's and
 * T2's edges of the pair happened before T4 began (a latent inversion
 * only): the cycle is seen only if T3's edge of the pair is kept, after
 * T1 and T2 met the pair both before and after their own pair filters.
 *
 * usage: ed_handover [consistent]  (consistent: T4 takes hidden_a first
 * too: no cycle) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NA 48
#define NB 48
#define ROUNDS 2

pthread_mutex_t hidden_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t hidden_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t grid_a[NA - 1], grid_b[NB - 1];
static pthread_mutex_t *group_a[NA], *group_b[NB];
static pthread_barrier_t done;
static int consistent;
static long taken[4]; /* each thread's own count */

static void take_grid(long *count)
{
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < NA; i++)
            for (int j = 0; j < NB; j++) {
                pthread_mutex_lock(group_a[i]); /* @a_first */
                pthread_mutex_lock(group_b[j]); /* @b_second */
                (*count)++;
                pthread_mutex_unlock(group_b[j]);
                pthread_mutex_unlock(group_a[i]);
            }
}

static void *early(void *arg)
{
    take_grid(&taken[(long)arg]);
    return NULL;
}

static void *third(void *arg)
{
    (void)arg;
    take_grid(&taken[2]);
    pthread_barrier_wait(&done);
    return NULL;
}

static void *fourth(void *arg)
{
    (void)arg;
    take_grid(&taken[3]);
    pthread_barrier_wait(&done);
    pthread_mutex_t *first = consistent ? &hidden_a : &hidden_b;
    pthread_mutex_t *second = consistent ? &hidden_b : &hidden_a;
    pthread_mutex_lock(first);  /* @b_first */
    pthread_mutex_lock(second); /* @a_second */
    taken[3]++;
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    return NULL;
}

int main(int argc, char **argv)
{
    consistent = argc > 1 && strcmp(argv[1], "consistent") == 0;
    for (int i = 0; i < NA - 1; i++)
        pthread_mutex_init(&grid_a[i], NULL);
    for (int i = 0; i < NB - 1; i++)
        pthread_mutex_init(&grid_b[i], NULL);
    group_a[0] = &hidden_a;
    group_b[0] = &hidden_b;
    for (int i = 1; i < NA; i++)
        group_a[i] = &grid_a[i - 1];
    for (int i = 1; i < NB; i++)
        group_b[i] = &grid_b[i - 1];
    pthread_barrier_init(&done, NULL, 2);
    pthread_t t[4];
    pthread_create(&t[0], NULL, early, (void *)0L);
    pthread_create(&t[1], NULL, early, (void *)1L);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    pthread_create(&t[2], NULL, third, NULL);
    pthread_create(&t[3], NULL, fourth, NULL);
    pthread_join(t[2], NULL);
    pthread_join(t[3], NULL);
    printf("taken=%ld,%ld,%ld,%ld\n", taken[0], taken[1], taken[2], taken[3]);
    return 0;
}
