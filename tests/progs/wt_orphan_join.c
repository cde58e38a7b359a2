/* T1 exits holding `orphan`; T2 then blocks on it and the main thread
 * joins T2.  Nobody can ever release the lock: a stall made only of a lock
 * wait and a join, natively a hang. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t orphan = PTHREAD_MUTEX_INITIALIZER;

static void *leaver(void *arg)
{
    pthread_mutex_lock(&orphan); /* @taken */
    return arg; /* exits holding it */
}

static void *waiter(void *arg)
{
    pthread_mutex_lock(&orphan); /* @blocked */
    pthread_mutex_unlock(&orphan);
    return arg;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, leaver, NULL);
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, waiter, NULL);
    pthread_join(t2, NULL);
    printf("finished\n");
    return 0;
}
