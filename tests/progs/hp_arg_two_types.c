/* Two threads increment a field of the malloc'ed struct they are handed,
 * but their start routine has pointers to two struct types: which one the
 * argument is, the debug information does not say.  The race on the heap
 * block is reported without a field name. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
    int id;
    long count;
};

struct stats {
    long runs;
    long spins;
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

int main(void)
{
    struct job *job = calloc(1, sizeof *job);
    pthread_t a, b;
    pthread_create(&a, NULL, work, job);
    pthread_create(&b, NULL, work, job);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", job->count > 0 && totals[0].runs + totals[1].runs == 2);
    free(job);
    return 0;
}
