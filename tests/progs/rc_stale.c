/* A hot global written only under its lock, next to a read-only one that
 * threads read without a lock: nothing races.  Run with the rotation at
 * its fastest (watch_period_ms=1), a slot often moves from one to the
 * other while traps of the first are still on their way: each must be
 * given to the variable whose bytes it touched, never to the slot's next
 * one.  Nothing to report.  Eight threads, more than there are CPUs, so
 * that a handler often runs late; six more globals keep the rotation
 * going. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long hot;                       /* written under hot_lock */
long limits[2] = {100, 200};    /* read only, after start */
long spare1, spare2, spare3, spare4, spare5, spare6;
static pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    long seen = 0;
    for (int i = 0; i < 200000; i++) {
        pthread_mutex_lock(&hot_lock);
        hot = hot * 3 + 1;
        pthread_mutex_unlock(&hot_lock);
        seen += limits[i & 1];
    }
    return (void *)seen;
}

int main(void)
{
    spare1 = spare2 = spare3 = 1;
    spare4 = spare5 = spare6 = 2;
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    long total = 0;
    for (int i = 0; i < 8; i++) {
        void *v;
        pthread_join(t[i], &v);
        total += (long)v;
    }
    printf("%ld %ld\n", total, spare1 + spare2 + spare3 + spare4 + spare5 + spare6);
    return 0;
}
