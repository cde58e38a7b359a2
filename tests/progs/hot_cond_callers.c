/* One thread waits on a condition variable from the same function, at the
 * same stack depth, called from two different callers: first() (signalled
 * by main) and second() (never signalled: a stall).  The stall's report
 * must show where the thread waits now, through second(), and where it
 * took `outer` this time: a stack kept from the first wait must not be
 * taken for the second's. */
#include <pthread.h>
#include <sched.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go_first, go_second, in_first;

static __attribute__((noinline)) void waitit(int *go)
{
    pthread_mutex_lock(&m);
    if (go == &go_first)
        in_first = 1;
    while (!*go)
        pthread_cond_wait(&cv, &m); /* @wait */
    pthread_mutex_unlock(&m);
}

static __attribute__((noinline)) void first(void)
{
    pthread_mutex_lock(&outer); /* @first_outer */
    waitit(&go_first); /* @first_call */
    pthread_mutex_unlock(&outer);
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void second(void)
{
    pthread_mutex_lock(&outer); /* @second_outer */
    waitit(&go_second); /* @second_call */
    pthread_mutex_unlock(&outer);
    __asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
    for (int i = 0; i < 3; i++) {
        first();
        pthread_mutex_lock(&m);
        go_first = 0;
        pthread_mutex_unlock(&m);
    }
    second();
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    /* Three times: wake the worker once it waits inside first(). */
    for (int done = 0; done < 3;) {
        pthread_mutex_lock(&m);
        if (in_first) {
            in_first = 0;
            go_first = 1;
            done++;
            pthread_cond_signal(&cv);
        }
        pthread_mutex_unlock(&m);
        sched_yield();
    }
    pthread_join(t, NULL);
    return 0;
}
