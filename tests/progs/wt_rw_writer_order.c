/* A lock-order cycle made of read locks only: T1 reads index_lock, then
 * store_lock; later T2 reads store_lock, then index_lock.  Readers do not
 * block readers, so with default rwlocks (argument "default") this can
 * never deadlock.  With writer-preferring rwlocks that writers ask for
 * (no argument), it can: a reader queues behind a writer waiting for the
 * other reader (see wt_rw_writer_cycle.c, where it happens).  This run
 * takes the locks in turn and never hangs; with "main-writes" the only
 * writer writes before the readers start. */
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
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    if (strcmp(mode, "default") != 0)
        pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&index_lock, &a);
    pthread_rwlock_init(&store_lock, &a);
    /* "main-writes": the only writer is the main thread, before the
     * readers start; it never has to queue, but it could have. */
    int main_writes = strcmp(mode, "main-writes") == 0;
    if (main_writes) {
        pthread_rwlock_wrlock(&index_lock);
        entries++;
        pthread_rwlock_unlock(&index_lock);
        pthread_rwlock_wrlock(&store_lock);
        entries++;
        pthread_rwlock_unlock(&store_lock);
    }
    pthread_barrier_init(&step, NULL, main_writes ? 2 : 3);
    pthread_t t1, t2, w;
    pthread_create(&t1, NULL, index_first, NULL);
    pthread_create(&t2, NULL, store_first, NULL);
    if (!main_writes)
        pthread_create(&w, NULL, writer, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    if (!main_writes)
        pthread_join(w, NULL);
    printf("entries=%ld\n", entries);
    return 0;
}
