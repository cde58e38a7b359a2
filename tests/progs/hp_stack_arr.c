/* An int array on main's stack is passed to the threads: each writes its
 * own element, and main reads them all while they run (a race on main's
 * stack).  With "joined", main reads only after joining them: clean. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct slot {
    int *arr;
    int i;
};

static void *work(void *arg)
{
    int *cell = arg;
    for (int k = 0; k < 20000000; k++) *(volatile int *)cell += 1; /* @write */
    return NULL;
}

int main(int argc, char **argv)
{
    int joined = argc > 1 && !strcmp(argv[1], "joined");
    int arr[4] = {0, 0, 0, 0};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, work, &arr[i]);
    long sum = 0;
    if (!joined)
        for (int k = 0; k < 5000000; k++)
            for (int i = 0; i < 4; i++)
                sum += ((volatile int *)arr)[i]; /* @read */
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        sum += arr[i];
    printf("%d\n", sum > 0);
    return 0;
}
