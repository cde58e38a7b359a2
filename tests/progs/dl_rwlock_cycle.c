/* A writer waits for a reader, and the reader waits for the writer: T1
 * holds the read lock of index_lock and wants store_lock; T2 holds
 * store_lock and wants the write lock of index_lock. */
#include <pthread.h>

pthread_rwlock_t index_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *reader(void *arg)
{
    pthread_rwlock_rdlock(&index_lock);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&store_lock);
    pthread_mutex_unlock(&store_lock);
    pthread_rwlock_unlock(&index_lock);
    return arg;
}

static void *writer(void *arg)
{
    pthread_mutex_lock(&store_lock);
    pthread_barrier_wait(&both_hold);
    pthread_rwlock_wrlock(&index_lock);
    pthread_rwlock_unlock(&index_lock);
    pthread_mutex_unlock(&store_lock);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, reader, NULL);
    pthread_create(&b, NULL, writer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
