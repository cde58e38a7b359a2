/* Calls whose error return means the program's assumption is broken, one
 * per run (made three times at one place: reported once), and with
 * "clean" the same calls used correctly, whose errors (ETIMEDOUT, EBUSY,
 * EAGAIN) are what they are for: nothing to report.
 * usage: mu2_call_errors CASE */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t echk;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;
static sem_t sem, ready;
static mtx_t cm;

static struct timespec in_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static const struct timespec bad_ts = {0, 2000000000L}; /* tv_nsec out of range */

static void *sleeper(void *arg)
{
    usleep(200 * 1000);
    return arg;
}

static void *hold_write(void *arg)
{
    pthread_rwlock_wrlock(&rw);
    sem_post(&ready);
    usleep(200 * 1000);
    pthread_rwlock_unlock(&rw);
    return arg;
}

static int c11_hold(void *arg)
{
    mtx_lock(&cm);
    sem_post(&ready);
    usleep(200 * 1000);
    mtx_unlock(&cm);
    return arg != NULL;
}

static void *hold_mutex(void *arg)
{
    pthread_mutex_lock(&m);
    sem_post(&ready);
    usleep(200 * 1000);
    pthread_mutex_unlock(&m);
    return arg;
}

static void clean(void)
{
    pthread_t t;
    struct timespec ts = in_ms(10);
    pthread_mutex_lock(&m);
    pthread_cond_timedwait(&cv, &m, &ts); /* ETIMEDOUT */
    pthread_mutex_unlock(&m);
    sem_init(&sem, 0, 0);
    sem_trywait(&sem); /* EAGAIN */
    ts = in_ms(10);
    sem_timedwait(&sem, &ts); /* ETIMEDOUT */
    sem_post(&sem);
    sem_wait(&sem);
    sem_destroy(&sem);
    pthread_create(&t, NULL, hold_mutex, NULL);
    sem_wait(&ready);
    pthread_mutex_trylock(&m); /* EBUSY */
    ts = in_ms(10);
    pthread_mutex_timedlock(&m, &ts); /* ETIMEDOUT */
    pthread_tryjoin_np(t, NULL); /* EBUSY */
    ts = in_ms(10);
    pthread_timedjoin_np(t, NULL, &ts); /* ETIMEDOUT */
    pthread_join(t, NULL);
    pthread_create(&t, NULL, hold_write, NULL);
    sem_wait(&ready);
    pthread_rwlock_tryrdlock(&rw); /* EBUSY */
    ts = in_ms(10);
    pthread_rwlock_timedwrlock(&rw, &ts); /* ETIMEDOUT */
    pthread_join(t, NULL);
    pthread_barrier_init(&bar, NULL, 1);
    pthread_barrier_wait(&bar); /* PTHREAD_BARRIER_SERIAL_THREAD */
    pthread_barrier_destroy(&bar);
    thrd_t ct;
    mtx_init(&cm, mtx_timed);
    thrd_create(&ct, c11_hold, NULL);
    sem_wait(&ready);
    mtx_trylock(&cm); /* thrd_busy */
    ts = in_ms(10);
    mtx_timedlock(&cm, &ts); /* thrd_timedout */
    thrd_join(ct, NULL);
    mtx_destroy(&cm);
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&echk, &a);
    pthread_t t;
    thrd_t ct;
    if (!strcmp(c, "clean")) {
        sem_init(&ready, 0, 0);
        clean();
        puts("done");
        return 0;
    }
    /* the ones that need another thread first */
    sem_init(&ready, 0, 0);
    if (!strcmp(c, "rwlock-timed-einval")) {
        pthread_create(&t, NULL, hold_write, NULL);
        sem_wait(&ready);
    }
    if (!strcmp(c, "join-detached") || !strcmp(c, "detach-twice")) {
        pthread_create(&t, NULL, sleeper, NULL);
        pthread_detach(t);
    }
    if (!strcmp(c, "mtx-timedlock-einval")) {
        mtx_init(&cm, mtx_timed);
        thrd_create(&ct, c11_hold, NULL);
        sem_wait(&ready);
    }
    if (!strcmp(c, "thrd-join-detached")) {
        thrd_create(&ct, c11_hold, NULL);
        thrd_detach(ct);
    }
    usleep(50 * 1000);
    for (int i = 0; i < 3; i++) {
        if (!strcmp(c, "cond-timedwait-einval")) {
            pthread_mutex_lock(&m);
            pthread_cond_timedwait(&cv, &m, &bad_ts); /* @cond_timedwait_einval */
            pthread_mutex_unlock(&m);
        } else if (!strcmp(c, "cond-wait-eperm")) {
            struct timespec ts = in_ms(10);
            pthread_cond_timedwait(&cv, &echk, &ts); /* @cond_wait_eperm */
        } else if (!strcmp(c, "sem-init-einval")) {
            sem_init(&sem, 0, (unsigned)SEM_VALUE_MAX + 1u); /* @sem_init_einval */
        } else if (!strcmp(c, "sem-post-overflow")) {
            sem_init(&sem, 0, SEM_VALUE_MAX);
            sem_post(&sem); /* @sem_post_overflow */
        } else if (!strcmp(c, "not-a-semaphore")) {
            sem_t bad;
            memset(&bad, 0xff, sizeof bad);
            sem_trywait(&bad); /* @not_a_semaphore */
        } else if (!strcmp(c, "rwlock-edeadlk")) {
            pthread_rwlock_wrlock(&rw);
            pthread_rwlock_wrlock(&rw); /* @rwlock_edeadlk */
            pthread_rwlock_unlock(&rw);
        } else if (!strcmp(c, "rwlock-timed-einval")) {
            pthread_rwlock_timedrdlock(&rw, &bad_ts); /* @rwlock_timed_einval */
        } else if (!strcmp(c, "barrier-init-einval")) {
            pthread_barrier_init(&bar, NULL, 0); /* @barrier_init_einval */
        } else if (!strcmp(c, "join-self")) {
            pthread_join(pthread_self(), NULL); /* @join_self */
        } else if (!strcmp(c, "join-detached")) {
            pthread_join(t, NULL); /* @join_detached */
        } else if (!strcmp(c, "detach-twice")) {
            pthread_detach(t); /* @detach_twice */
        } else if (!strcmp(c, "create-eagain")) {
            pthread_attr_t big;
            pthread_attr_init(&big);
            pthread_attr_setstacksize(&big, (size_t)1 << 47);
            pthread_t n;
            if (pthread_create(&n, &big, sleeper, NULL) == 0) /* @create_eagain */
                pthread_join(n, NULL);
            pthread_attr_destroy(&big);
        } else if (!strcmp(c, "mtx-timedlock-einval")) {
            mtx_timedlock(&cm, &bad_ts); /* @mtx_timedlock_einval */
        } else if (!strcmp(c, "thrd-join-detached")) {
            thrd_join(ct, NULL); /* @thrd_join_detached */
        } else {
            fprintf(stderr, "usage: mu2_call_errors CASE\n");
            return 2;
        }
    }
    if (!strcmp(c, "rwlock-timed-einval"))
        pthread_join(t, NULL);
    if (!strcmp(c, "mtx-timedlock-einval"))
        thrd_join(ct, NULL);
    usleep(250 * 1000); /* the detached threads end */
    puts("done");
    return 0;
}
