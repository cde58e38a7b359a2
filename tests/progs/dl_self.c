/* The seed's self-deadlock: a plain lock taken twice by the same thread
 * (`mutexA.acquire(); mutexA.acquire()`).  Natively it hangs forever. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t mutexA = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&mutexA); /* @first */
    pthread_mutex_lock(&mutexA); /* @second */
    puts("123");
    pthread_mutex_unlock(&mutexA);
    pthread_mutex_unlock(&mutexA);
    return 0;
}
