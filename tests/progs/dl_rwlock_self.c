/* A thread holding the read lock of table_lock asks for its write lock: it
 * waits for itself (its own read hold) forever. */
#include <pthread.h>

pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

int main(void)
{
    pthread_rwlock_rdlock(&table_lock);
    pthread_rwlock_wrlock(&table_lock); /* @upgrade */
    pthread_rwlock_unlock(&table_lock);
    pthread_rwlock_unlock(&table_lock);
    return 0;
}
