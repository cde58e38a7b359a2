/* T1 exits holding `orphan` and T2 blocks on it, but the main thread is not
 * blocked: after a while it unlocks the mutex itself (a misuse glibc lets
 * through for a plain mutex) and T2 goes on.  Not a stall: somebody could
 * still act, and did. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t orphan = PTHREAD_MUTEX_INITIALIZER;

static void *leaver(void *arg)
{
    pthread_mutex_lock(&orphan);
    return arg;
}

static void *waiter(void *arg)
{
    pthread_mutex_lock(&orphan);
    pthread_mutex_unlock(&orphan);
    return arg;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, leaver, NULL);
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, waiter, NULL);
    usleep(1200 * 1000); /* T2 waits for the orphaned lock meanwhile */
    pthread_mutex_unlock(&orphan);
    pthread_join(t2, NULL);
    printf("finished\n");
    return 0;
}
