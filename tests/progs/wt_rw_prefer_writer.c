/* A writer-preferring rwlock: the main thread holds a read lock, T1 asks
 * for the write lock (and queues), then the main thread asks for a read
 * lock again.  The second read queues behind the writer, which waits for
 * the first read: this hangs every time, natively.  Under lockscope the
 * writer must keep its place in the queue, and the deadlock be reported. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_rwlock_t table_lock;
static int table[16];

static void *writer(void *arg)
{
    pthread_rwlock_wrlock(&table_lock); /* @writer */
    table[0]++;
    pthread_rwlock_unlock(&table_lock);
    return arg;
}

int main(void)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&table_lock, &a);

    pthread_rwlock_rdlock(&table_lock); /* @first_read */
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    usleep(300 * 1000); /* the writer is queued by now */
    pthread_rwlock_rdlock(&table_lock); /* @second_read */
    int v = table[0];
    pthread_rwlock_unlock(&table_lock);
    pthread_rwlock_unlock(&table_lock);
    pthread_join(t, NULL);
    printf("finished: %d\n", v);
    return 0;
}
