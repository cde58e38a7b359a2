/* An error-checking mutex locked twice by its owner: the second lock
 * returns EDEADLK at once (no hang).  lockscope reports a misuse, once,
 * although it happens three times at the same place, and lets the program
 * run to its end. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t guard;

int main(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&guard, &a);
    int deadlk = 0;
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&guard);                  /* @first */
        deadlk += pthread_mutex_lock(&guard) == EDEADLK; /* @again */
        pthread_mutex_unlock(&guard);
    }
    printf("EDEADLK %d times\n", deadlk);
    return 0;
}
