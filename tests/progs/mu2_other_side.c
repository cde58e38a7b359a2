/* Misuse that involves another thread, one per run: the finding names that
 * thread and where it took the lock or waits on the object.
 * usage: mu2_other_side unlock-not-owner|destroy-locked|destroy-cond-waiters|
 *                       destroy-in-use|destroy-in-use-timed|cond-two-mutexes */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t checked;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t sem, ready;
static int flag;

/* glibc's own counts say when a thread is blocked inside the call (the
 * shim has counted it by then): its semaphore's waiters (the high half
 * of its first word). */
static void until_blocked_sem(sem_t *s)
{
    for (int i = 0; i < 5000 && (__atomic_load_n((unsigned long *)(void *)s, __ATOMIC_ACQUIRE) >> 32) == 0; i++)
        usleep(1000);
}

static struct timespec in_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    while (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void *holds_checked(void *arg)
{
    pthread_mutex_lock(&checked); /* @t_takes_checked */
    sem_post(&ready);
    usleep(150 * 1000);
    pthread_mutex_unlock(&checked);
    return arg;
}

static void *holds_plain(void *arg)
{
    pthread_mutex_lock(&plain); /* @t_takes_plain */
    sem_post(&ready);
    usleep(150 * 1000);
    pthread_mutex_unlock(&plain);
    return arg;
}

static void *waits_on_cv(void *arg)
{
    struct timespec ts = in_ms(300);
    pthread_mutex_lock(&plain);
    sem_post(&ready); /* main takes plain once this waits */
    pthread_cond_timedwait(&cv, &plain, &ts); /* @t_cv_waits */
    pthread_mutex_unlock(&plain);
    return arg;
}

static void *waits_with_plain(void *arg)
{
    pthread_mutex_lock(&plain);
    sem_post(&ready);
    while (!flag)
        pthread_cond_wait(&cv, &plain); /* @t_waits_plain */
    pthread_mutex_unlock(&plain);
    return arg;
}

static void *waits_on_sem_timed(void *arg)
{
    struct timespec ts = in_ms(300);
    sem_post(&ready);
    sem_timedwait(&sem, &ts); /* @t_sem_timedwaits */
    return arg;
}

static void *waits_on_sem(void *arg)
{
    sem_post(&ready);
    sem_wait(&sem); /* @t_sem_waits */
    return arg;
}

int main(int argc, char **argv)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&checked, &a);
    sem_init(&sem, 0, 0);
    sem_init(&ready, 0, 0);
    const char *c = argc > 1 ? argv[1] : "";
    void *(*fn)(void *) = !strcmp(c, "unlock-not-owner")       ? holds_checked
                          : !strcmp(c, "destroy-locked")       ? holds_plain
                          : !strcmp(c, "destroy-cond-waiters") ? waits_on_cv
                          : !strcmp(c, "destroy-in-use")       ? waits_on_sem
                          : !strcmp(c, "destroy-in-use-timed") ? waits_on_sem_timed
                          : !strcmp(c, "cond-two-mutexes")     ? waits_with_plain
                                                               : NULL;
    if (!fn) {
        fprintf(stderr, "usage: mu2_other_side CASE\n");
        return 2;
    }
    pthread_t t;
    pthread_create(&t, NULL, fn, NULL);
    sem_wait(&ready);
    if (fn == waits_on_cv || fn == waits_with_plain) {
        /* it released plain in its wait: it waits */
        pthread_mutex_lock(&plain);
        pthread_mutex_unlock(&plain);
    } else if (fn == waits_on_sem || fn == waits_on_sem_timed) {
        until_blocked_sem(&sem);
    }
    if (fn == holds_checked) {
        pthread_mutex_unlock(&checked); /* @main_call */
    } else if (fn == holds_plain) {
        pthread_mutex_destroy(&plain); /* @main_call */
    } else if (fn == waits_on_cv) {
        pthread_cond_destroy(&cv); /* @main_call */
    } else if (fn == waits_on_sem || fn == waits_on_sem_timed) {
        sem_destroy(&sem); /* @main_call */
        sem_post(&sem);
    } else {
        struct timespec ts = in_ms(1);
        pthread_mutex_lock(&other);
        pthread_cond_timedwait(&cv, &other, &ts); /* @main_call */
        pthread_mutex_unlock(&other);
        pthread_mutex_lock(&plain);
        flag = 1;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&plain);
    }
    pthread_join(t, NULL);
    puts("done");
    return 0;
}
