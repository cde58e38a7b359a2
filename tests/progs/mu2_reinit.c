/* Initializing again a condvar, semaphore, barrier or spinlock that another
 * thread waits on or holds: reinit-in-use, naming that thread and where it
 * waits or took the lock.  glibc's object is broken after such an init (its
 * waiters may never leave), so the program ends with _exit right after.
 * usage: mu2_reinit cond|sem|barrier|spin|clean
 *   clean: every object initialized again once nobody uses it: correct. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static sem_t sem;
static pthread_barrier_t bar;
static pthread_spinlock_t spin;
static int go;
static sem_t ready;

/* glibc's own counts say when a thread is blocked inside the call (the
 * shim has counted it by then): its semaphore's waiters (the high half of
 * its first word), its barrier's arrivals (the first word). */
static void until_blocked_sem(sem_t *s)
{
    for (int i = 0; i < 5000 && (__atomic_load_n((unsigned long *)(void *)s, __ATOMIC_ACQUIRE) >> 32) == 0; i++)
        usleep(1000);
}

static void until_blocked_barrier(pthread_barrier_t *b)
{
    for (int i = 0; i < 5000 && __atomic_load_n((unsigned *)(void *)b, __ATOMIC_ACQUIRE) == 0; i++)
        usleep(1000);
}

static void *cond_waiter(void *arg)
{
    pthread_mutex_lock(&m);
    sem_post(&ready);
    while (!go)
        pthread_cond_wait(&cv, &m); /* @cond_waits */
    pthread_mutex_unlock(&m);
    return arg;
}

static void *sem_waiter(void *arg)
{
    sem_post(&ready);
    sem_wait(&sem); /* @sem_waits */
    return arg;
}

static void *barrier_waiter(void *arg)
{
    sem_post(&ready);
    pthread_barrier_wait(&bar); /* @barrier_waits */
    return arg;
}

static void *spin_holder(void *arg)
{
    pthread_spin_lock(&spin); /* @spin_takes */
    sem_post(&ready);
    usleep(300 * 1000);
    pthread_spin_unlock(&spin);
    return arg;
}

static void init_all(void)
{
    pthread_cond_init(&cv, NULL);
    sem_init(&sem, 0, 0);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
}

static void clean(void)
{
    pthread_t t[4];
    pthread_create(&t[0], NULL, cond_waiter, NULL);
    pthread_create(&t[1], NULL, sem_waiter, NULL);
    pthread_create(&t[2], NULL, barrier_waiter, NULL);
    usleep(20 * 1000);
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&m);
    sem_post(&sem);
    pthread_barrier_wait(&bar);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    pthread_create(&t[3], NULL, spin_holder, NULL);
    pthread_join(t[3], NULL);
    /* nobody waits on or holds any of them now */
    init_all();
    pthread_mutex_init(&m, NULL);
    pthread_cond_destroy(&cv);
    sem_destroy(&sem);
    pthread_barrier_destroy(&bar);
    pthread_spin_destroy(&spin);
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    sem_init(&ready, 0, 0);
    init_all();
    if (!strcmp(c, "clean")) {
        clean();
        puts("done");
        return 0;
    }
    pthread_t t;
    void *(*fn)(void *) = !strcmp(c, "cond")      ? cond_waiter
                          : !strcmp(c, "sem")     ? sem_waiter
                          : !strcmp(c, "barrier") ? barrier_waiter
                          : !strcmp(c, "spin")    ? spin_holder
                                                  : NULL;
    if (!fn) {
        fprintf(stderr, "usage: mu2_reinit cond|sem|barrier|spin|clean\n");
        return 2;
    }
    pthread_create(&t, NULL, fn, NULL);
    sem_wait(&ready);
    if (fn == cond_waiter) {
        pthread_mutex_lock(&m); /* it released m in its wait: it waits */
        pthread_mutex_unlock(&m);
    } else if (fn == sem_waiter) {
        until_blocked_sem(&sem);
    } else if (fn == barrier_waiter) {
        until_blocked_barrier(&bar);
    }
    for (int i = 0; i < 3; i++) {
        if (fn == cond_waiter)
            pthread_cond_init(&cv, NULL); /* @reinit */
        else if (fn == sem_waiter)
            sem_init(&sem, 0, 0); /* @reinit */
        else if (fn == barrier_waiter)
            pthread_barrier_init(&bar, NULL, 2); /* @reinit */
        else
            pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE); /* @reinit */
    }
    puts("done");
    fflush(stdout);
    _exit(0);
}
