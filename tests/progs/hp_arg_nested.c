/* Two threads increment a field of a struct nested in the malloc'ed block
 * they are handed, through a pointer declared in an inner block of their
 * start routine: a race on the heap block, named `j->inner.y` from that
 * pointer's type. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
    int id;
    struct {
        int x;
        long y;
    } inner;
    long arr[4];
};

static void *work(void *arg)
{
    for (int i = 0; i < 20000000; i++) {
        volatile struct job *j = arg;
        j->inner.y++; /* @write */
    }
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
    printf("%d\n", job->inner.y > 0);
    free(job);
    return 0;
}
