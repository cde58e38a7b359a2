/* Two threads increment a field of the heap block a global pointer points
 * to (a race on `table->hits`).  With "locked", under a mutex: clean. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stats {
    long total;
    long hits;
};

struct stats *table;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int locked;

static void *work(void *p)
{
    (void)p;
    int lk = locked; /* read once: the loop is about the shared memory */
    volatile struct stats *st = table;
    for (int k = 0; k < 20000000; k++) {
        if (lk)
            pthread_mutex_lock(&m);
        st->hits++; /* @write */
        if (lk)
            pthread_mutex_unlock(&m);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    locked = argc > 1 && !strcmp(argv[1], "locked");
    table = calloc(1, sizeof *table);
    pthread_t a, b;
    pthread_create(&a, NULL, work, NULL);
    pthread_create(&b, NULL, work, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", table->hits > 0);
    free(table);
    return 0;
}
