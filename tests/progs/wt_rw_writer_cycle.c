/* Two writer-preferring rwlocks and no mutex: T1 reads index_lock, T2 reads
 * store_lock; T3 and T4 ask to write them (and queue behind those readers);
 * then T1 asks to read store_lock and T2 to read index_lock.  Each reader
 * queues behind a waiting writer that waits for the other reader: a
 * deadlock of four threads, natively every time. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_rwlock_t index_lock, store_lock;
static pthread_barrier_t readers_in;

static void *reader(void *arg)
{
    int first = arg != NULL;
    pthread_rwlock_t *mine = first ? &index_lock : &store_lock;
    pthread_rwlock_t *other = first ? &store_lock : &index_lock;
    pthread_rwlock_rdlock(mine); /* @read_own */
    pthread_barrier_wait(&readers_in);
    usleep(400 * 1000); /* both writers are queued by now */
    pthread_rwlock_rdlock(other); /* @read_other */
    pthread_rwlock_unlock(other);
    pthread_rwlock_unlock(mine);
    return NULL;
}

static void *writer(void *arg)
{
    pthread_rwlock_t *l = arg;
    pthread_rwlock_wrlock(l); /* @write */
    pthread_rwlock_unlock(l);
    return NULL;
}

int main(void)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&index_lock, &a);
    pthread_rwlock_init(&store_lock, &a);
    pthread_barrier_init(&readers_in, NULL, 3);
    pthread_t r1, r2, w1, w2;
    pthread_create(&r1, NULL, reader, (void *)1);
    pthread_create(&r2, NULL, reader, NULL);
    pthread_barrier_wait(&readers_in);
    pthread_create(&w1, NULL, writer, &index_lock);
    pthread_create(&w2, NULL, writer, &store_lock);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    pthread_join(w1, NULL);
    pthread_join(w2, NULL);
    printf("finished\n");
    return 0;
}
