/* One lock-order pair seen in more contexts than the recording keeps of
 * it (four): six threads take lock_a and then lock_b, each its own
 * context.  Once they are done (a barrier, which orders nothing for lock
 * order), a seventh takes lock_b and then lock_a.  The cycle can deadlock,
 * and is reported through one of the contexts kept, with its stacks. */
#include <pthread.h>
#include <stdio.h>

#define NAB 6

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t done;
static long counter;

static void *a_then_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a); /* @a_first */
    pthread_mutex_lock(&lock_b); /* @b_second */
    counter++;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_barrier_wait(&done);
    return NULL;
}

static void *b_then_a(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&done);
    pthread_mutex_lock(&lock_b); /* @b_first */
    pthread_mutex_lock(&lock_a); /* @a_second */
    counter++;
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&done, NULL, NAB + 1);
    pthread_t t[NAB + 1];
    for (int i = 0; i < NAB; i++)
        pthread_create(&t[i], NULL, a_then_b, NULL);
    pthread_create(&t[NAB], NULL, b_then_a, NULL);
    for (int i = 0; i <= NAB; i++)
        pthread_join(t[i], NULL);
    printf("counter=%ld\n", counter);
    return 0;
}
