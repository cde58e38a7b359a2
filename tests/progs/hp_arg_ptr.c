/* Each thread is handed a struct on main's stack that points to the shared
 * state, a malloc'ed block: two threads increment its count without a
 * lock, a race on the block the argument points to (not on the argument).
 * The program has made many allocations before, as a real one has, so the
 * block is no early allocation that lockscope watches anyway.  With
 * "locked", the increments hold the state's mutex: clean. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state {
    long count;
    pthread_mutex_t lock;
};

struct worker {
    int id;
    struct state *st;
};

static int locked;

static void *work(void *arg)
{
    struct worker *w = arg;
    int lk = locked; /* read once: the loop is about the shared memory */
    for (int i = 0; i < (lk ? 2000000 : 20000000); i++) {
        if (lk)
            pthread_mutex_lock(&w->st->lock);
        ((volatile struct state *)w->st)->count++; /* @write */
        if (lk)
            pthread_mutex_unlock(&w->st->lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    locked = argc > 1 && !strcmp(argv[1], "locked");
    void *earlier[64];
    for (int i = 0; i < 64; i++)
        earlier[i] = malloc(32 + i);
    struct state *st = malloc(sizeof *st);
    st->count = 0;
    pthread_mutex_init(&st->lock, NULL);
    struct worker ws[2] = {{1, st}, {2, st}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, work, &ws[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("%d\n", st->count > 0);
    pthread_mutex_destroy(&st->lock);
    free(st);
    for (int i = 0; i < 64; i++)
        free(earlier[i]);
    return 0;
}
