/* One thread waits for a mutex from the same function, at the same stack
 * depth, called from two different callers: first() three times (main
 * holds the mutex until the thread waits for it, then lets it go), then
 * second(), holding `outer`, while main holds the mutex and waits for
 * `outer`: a deadlock.  Its report must show where the thread waits now,
 * through second(): the frames kept from the waits through first() must
 * not be taken for this one's. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int rounds_done, go_second, have_outer;

/* glibc marks a locked mutex with waiters: the thread waits for it now. */
static int waited_for(const pthread_mutex_t *mu)
{
    return __atomic_load_n(&mu->__data.__lock, __ATOMIC_ACQUIRE) > 1;
}

static __attribute__((noinline)) void takeit(void)
{
    pthread_mutex_lock(&m); /* @wait */
    pthread_mutex_unlock(&m);
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void first(void)
{
    takeit(); /* @first_call */
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void second(void)
{
    pthread_mutex_lock(&outer);
    atomic_store(&have_outer, 1);
    takeit(); /* @second_call */
    pthread_mutex_unlock(&outer);
    __asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
    for (int i = 0; i < 3; i++) {
        first();
        atomic_fetch_add(&rounds_done, 1);
        while (atomic_load(&rounds_done) == 2 * i + 1)
            sched_yield();
    }
    while (!atomic_load(&go_second))
        sched_yield();
    second();
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&m);
    pthread_create(&t, NULL, worker, NULL);
    for (int i = 0; i < 3; i++) {
        while (!waited_for(&m))
            sched_yield();
        pthread_mutex_unlock(&m);
        while (atomic_load(&rounds_done) != 2 * i + 1)
            sched_yield();
        pthread_mutex_lock(&m);
        atomic_fetch_add(&rounds_done, 1);
    }
    atomic_store(&go_second, 1);
    while (!atomic_load(&have_outer))
        sched_yield();
    pthread_mutex_lock(&outer);
    puts("finished");
    pthread_mutex_unlock(&outer);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
    return 0;
}
