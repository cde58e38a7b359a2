/* A lock-order cycle made of read locks only: T1 reads index_lock, then
 * store_lock; later T2 reads store_lock, then index_lock.  Readers do not
 * block readers, so with default rwlocks (argument "default") this can
 * never deadlock.  With writer-preferring rwlocks on which writers queue
 * (no argument), it can: a reader queues behind a writer waiting for the
 * other reader (see wt_rw_writer_cycle.c, where it happens).  This run
 * takes the locks in turn and never hangs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

pthread_rwlock_t index_lock, store_lock;
static pthread_barrier_t step;
static long entries;

static void *index_first(void *arg)
{
    pthread_rwlock_rdlock(&index_lock); /* @index_then */
    pthread_barrier_wait(&step);        /* the writer may queue now */
    usleep(100 * 1000);
    pthread_rwlock_rdlock(&store_lock); /* @store_second */
    long n = entries;
    pthread_rwlock_unlock(&store_lock);
    pthread_rwlock_unlock(&index_lock);
    pthread_barrier_wait(&step);        /* T2's turn */
    pthread_barrier_wait(&step);
    return (void *)n;
}

static void *store_first(void *arg)
{
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step);
    pthread_rwlock_rdlock(&store_lock); /* @store_then */
    pthread_barrier_wait(&step);        /* the writer may queue now */
    usleep(100 * 1000);
    pthread_rwlock_rdlock(&index_lock); /* @index_second */
    long n = entries;
    pthread_rwlock_unlock(&index_lock);
    pthread_rwlock_unlock(&store_lock);
    return (void *)n;
}

/* Queues for each lock while a reader holds it. */
static void *writer(void *arg)
{
    pthread_barrier_wait(&step);
    pthread_rwlock_wrlock(&index_lock); /* behind T1's read */
    entries++;
    pthread_rwlock_unlock(&index_lock);
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step);
    pthread_rwlock_wrlock(&store_lock); /* behind T2's read */
    entries++;
    pthread_rwlock_unlock(&store_lock);
    return arg;
}

int main(int argc, char **argv)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    if (argc < 2 || strcmp(argv[1], "default") != 0)
        pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&index_lock, &a);
    pthread_rwlock_init(&store_lock, &a);
    pthread_barrier_init(&step, NULL, 3);
    pthread_t t1, t2, w;
    pthread_create(&t1, NULL, index_first, NULL);
    pthread_create(&t2, NULL, store_first, NULL);
    pthread_create(&w, NULL, writer, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_join(w, NULL);
    printf("entries=%ld\n", entries);
    return 0;
}
