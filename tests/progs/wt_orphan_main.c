/* T1 exits holding `orphan`, then the main thread, alone, blocks on it:
 * natively a hang. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t orphan = PTHREAD_MUTEX_INITIALIZER;

static void *leaver(void *arg)
{
    pthread_mutex_lock(&orphan); /* @taken */
    return arg;
}

int main(void)
{
    pthread_t t1;
    pthread_create(&t1, NULL, leaver, NULL);
    pthread_join(t1, NULL);
    pthread_mutex_lock(&orphan); /* @blocked */
    pthread_mutex_unlock(&orphan);
    printf("finished\n");
    return 0;
}
