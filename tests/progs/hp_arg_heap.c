/* Two threads increment a field of a malloc'ed struct passed as their
 * argument, without a lock: a race on the heap block (`job->count`).  With
 * "locked", the increments hold a mutex: clean. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
    int id;
    int count;
    pthread_mutex_t lock;
};

static int locked;

static void *work(void *arg)
{
    struct job *job = arg;
    int lk = locked; /* read once: the loop is about the shared memory */
    for (int i = 0; i < 20000000; i++) {
        if (lk)
            pthread_mutex_lock(&job->lock);
        ((volatile struct job *)job)->count++; /* @write */
        if (lk)
            pthread_mutex_unlock(&job->lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    locked = argc > 1 && !strcmp(argv[1], "locked");
    struct job *job = malloc(sizeof *job);
    job->id = 1;
    job->count = 0;
    pthread_mutex_init(&job->lock, NULL);
    pthread_t a, b;
    pthread_create(&a, NULL, work, job);
    pthread_create(&b, NULL, work, job);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", job->count > 0);
    pthread_mutex_destroy(&job->lock);
    free(job);
    return 0;
}
