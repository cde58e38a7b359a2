/* Two threads each wait on a condition variable that nobody will ever
 * signal; the main thread waits to join them.  Nothing is a cycle, but no
 * thread can ever move again: a stall. */
#include <pthread.h>

pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t ready_a = PTHREAD_COND_INITIALIZER;
pthread_cond_t ready_b = PTHREAD_COND_INITIALIZER;
static int go;

static void *wait_a(void *arg)
{
    pthread_mutex_lock(&m);
    while (!go)
        pthread_cond_wait(&ready_a, &m); /* @wait_a */
    pthread_mutex_unlock(&m);
    return arg;
}

static void *wait_b(void *arg)
{
    pthread_mutex_lock(&m);
    while (!go)
        pthread_cond_wait(&ready_b, &m); /* @wait_b */
    pthread_mutex_unlock(&m);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, wait_a, NULL);
    pthread_create(&b, NULL, wait_b, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
