/* Per-thread slots in one array, each thread writing only its own, kept
 * apart by a barrier, by joins and by locks: no two accesses to the same
 * bytes race, though the slots share an 8-byte watch window.  Nothing to
 * report.  The argument picks the element type: int, char or struct.
 *  - barrier: four threads write their own cell, meet at a barrier, read
 *    every cell, meet again;
 *  - joins: five philosophers each bump their own meals[i] holding their
 *    two chopsticks; main reads meals[0] after joining philosopher 0 only;
 *  - locks: each thread updates its own slot under that slot's lock, and
 *    reads its neighbour's under the neighbour's lock. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N 4
#define PHILOSOPHERS 5
#define ROUNDS 100

struct item { /* 4 bytes: two share an 8-byte window */
    short count;
    char flag;
    char mark;
};

int icells[N], imeals[PHILOSOPHERS], islots[N];
char ccells[N], cmeals[PHILOSOPHERS], cslots[N];
struct item scells[N], smeals[PHILOSOPHERS], sslots[N];

static int kind; /* 0 int, 1 char, 2 struct */
static pthread_barrier_t barrier;
static pthread_mutex_t chopstick[PHILOSOPHERS];
static pthread_mutex_t slot_lock[N];

static void put(void *arr, int i, int v)
{
    if (kind == 0)
        ((int *)arr)[i] = v;
    else if (kind == 1)
        ((char *)arr)[i] = (char)v;
    else
        ((struct item *)arr)[i].count = (short)v;
}

static int get(const void *arr, int i)
{
    if (kind == 0)
        return ((const int *)arr)[i];
    if (kind == 1)
        return ((const char *)arr)[i];
    return ((const struct item *)arr)[i].count;
}

static void *cells_of(int which)
{
    void *k[3][3] = {{icells, imeals, islots}, {ccells, cmeals, cslots},
                     {scells, smeals, sslots}};
    return k[kind][which];
}

static void *barrier_worker(void *arg)
{
    int id = (int)(long)arg;
    void *cells = cells_of(0);
    long sum = 0;
    for (int r = 0; r < ROUNDS; r++) {
        put(cells, id, r + id);
        pthread_barrier_wait(&barrier);
        for (int k = 0; k < N; k++)
            sum += get(cells, k);
        pthread_barrier_wait(&barrier);
        usleep(100);
    }
    return (void *)sum;
}

static void *philosopher(void *arg)
{
    int id = (int)(long)arg;
    void *meals = cells_of(1);
    int first = id, second = (id + 1) % PHILOSOPHERS;
    if (first > second) {
        int t = first;
        first = second;
        second = t;
    }
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&chopstick[first]);
        pthread_mutex_lock(&chopstick[second]);
        put(meals, id, get(meals, id) + 1);
        pthread_mutex_unlock(&chopstick[second]);
        pthread_mutex_unlock(&chopstick[first]);
        usleep(100);
    }
    return NULL;
}

static void *slot_worker(void *arg)
{
    int id = (int)(long)arg, next = (id + 1) % N;
    void *slots = cells_of(2);
    long seen = 0;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&slot_lock[id]);
        put(slots, id, get(slots, id) + 1);
        pthread_mutex_unlock(&slot_lock[id]);
        pthread_mutex_lock(&slot_lock[next]);
        seen += get(slots, next);
        pthread_mutex_unlock(&slot_lock[next]);
        usleep(100);
    }
    return (void *)seen;
}

int main(int argc, char **argv)
{
    kind = argc > 1 && !strcmp(argv[1], "char") ? 1 : argc > 1 && !strcmp(argv[1], "struct") ? 2 : 0;
    pthread_t t[PHILOSOPHERS];
    long total = 0;

    pthread_barrier_init(&barrier, NULL, N);
    for (long i = 0; i < N; i++)
        pthread_create(&t[i], NULL, barrier_worker, (void *)i);
    for (int i = 0; i < N; i++) {
        void *v;
        pthread_join(t[i], &v);
        total += (long)v;
    }

    for (int i = 0; i < PHILOSOPHERS; i++)
        pthread_mutex_init(&chopstick[i], NULL);
    for (long i = 0; i < PHILOSOPHERS; i++)
        pthread_create(&t[i], NULL, philosopher, (void *)i);
    pthread_join(t[0], NULL);
    int first = get(cells_of(1), 0); /* philosopher 0 is done: its meals are final */
    for (int i = 1; i < PHILOSOPHERS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < PHILOSOPHERS; i++)
        total += get(cells_of(1), i);

    for (int i = 0; i < N; i++)
        pthread_mutex_init(&slot_lock[i], NULL);
    for (long i = 0; i < N; i++)
        pthread_create(&t[i], NULL, slot_worker, (void *)i);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL); /* what each saw of its neighbour depends on timing */
    for (int i = 0; i < N; i++)
        total += get(cells_of(2), i);
    printf("%d %ld\n", first, total);
    return 0;
}
