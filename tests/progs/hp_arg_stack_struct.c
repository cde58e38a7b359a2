/* A struct on main's stack is handed to two threads that increment one of
 * its fields: a race on main's stack, named `job->count` from the start
 * routine's pointer.  With "joined", one thread at a time: clean. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct job {
    int id;
    long count;
};

static void *work(void *arg)
{
    struct job *job = arg;
    for (int k = 0; k < 20000000; k++)
        ((volatile struct job *)job)->count++; /* @write */
    return NULL;
}

int main(int argc, char **argv)
{
    int joined = argc > 1 && !strcmp(argv[1], "joined");
    struct job job = {1, 0};
    pthread_t a, b;
    pthread_create(&a, NULL, work, &job);
    if (joined)
        pthread_join(a, NULL);
    pthread_create(&b, NULL, work, &job);
    if (!joined)
        pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", job.count > 0);
    return 0;
}
