/* A cycle that only a context the recording did not keep makes one that
 * can deadlock.  The first thread takes lock_a and then lock_b in four
 * contexts (each under another gate lock: the four the recording keeps of
 * the pair), and later lock_b and then lock_a.  In between, the second
 * thread takes lock_a and then lock_b in a fifth context, only counted.
 * The cycle is reported as latent (one thread), and the lock-order scope
 * says an instance not kept may have made it one that can deadlock. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t gate[4] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t step;
static long counter;

static void a_then_b(void)
{
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    counter++;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
}

static void *first(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++) {
        pthread_mutex_lock(&gate[i]);
        a_then_b();
        pthread_mutex_unlock(&gate[i]);
    }
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    counter++;
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&step);
    a_then_b();
    pthread_barrier_wait(&step);
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&step, NULL, 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("counter=%ld\n", counter);
    return 0;
}
