/* A start routine whose parameter is typed (the program casts it for
 * pthread_create): two threads increment an element of an array in the
 * malloc'ed struct they are handed, a race named `job->arr[3]`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
    int id;
    int arr[4];
};

static void *work(struct job *job)
{
    for (int i = 0; i < 20000000; i++)
        ((volatile struct job *)job)->arr[3]++; /* @write */
    return NULL;
}

int main(void)
{
    struct job *job = calloc(1, sizeof *job);
    pthread_t a, b;
    pthread_create(&a, NULL, (void *(*)(void *))work, job);
    pthread_create(&b, NULL, (void *(*)(void *))work, job);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", job->arr[3] > 0);
    free(job);
    return 0;
}
