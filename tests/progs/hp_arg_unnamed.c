/* Two threads increment a field of the malloc'ed struct they are handed,
 * but their start routine's types do not say for certain what it is: it
 * has pointers to two struct types (by default), or ("small") its one
 * struct pointer's type is larger than the block, or ("scalar") the
 * argument is a long pointer beside one struct pointer to something else.
 * The race on the heap block is reported without a field name. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
    int id;
    long count;
};

struct stats {
    long runs;
    long spins;
};

struct big {
    int id;
    long count;
    long more[6];
};

static struct stats totals[2];
static int next;

static void *work(void *arg)
{
    struct job *job = arg;
    struct stats *st = &totals[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) & 1];
    for (int k = 0; k < 20000000; k++)
        ((volatile struct job *)job)->count++; /* @write */
    st->runs++;
    return NULL;
}

static void *work_big(void *arg)
{
    struct big *b = arg;
    for (int k = 0; k < 20000000; k++)
        ((volatile struct big *)b)->count++; /* @write_big */
    return NULL;
}

static void *work_scalar(void *arg)
{
    long *c = arg;
    struct stats *st = &totals[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) & 1];
    for (int k = 0; k < 20000000; k++)
        ((volatile long *)c)[1]++; /* @write_scalar */
    st->runs++;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    void *(*fn)(void *) = !strcmp(mode, "small") ? work_big
                          : !strcmp(mode, "scalar") ? work_scalar
                                                    : work;
    struct job *job = calloc(1, sizeof *job);
    pthread_t a, b;
    pthread_create(&a, NULL, fn, job);
    pthread_create(&b, NULL, fn, job);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", job->count > 0);
    free(job);
    return 0;
}
