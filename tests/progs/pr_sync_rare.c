/* The rarer synchronization calls, each used correctly (and one misuse),
 * by four threads that update `guarded` under it: nothing may be reported
 * but the misuse, and `guarded` is sampled, so its happens-before through
 * each call is what keeps the race check quiet.
 *   robust     a robust mutex whose owner dies holding it: the next locker
 *              gets EOWNERDEAD and makes it consistent
 *   clocklock  pthread_mutex_clocklock (CLOCK_MONOTONIC and CLOCK_REALTIME)
 *              and pthread_mutex_timedlock, one of them timing out
 *   rwtimed    pthread_rwlock_timedrdlock/timedwrlock/clockrdlock/clockwrlock
 *   semopen    a named semaphore (sem_open) used as a lock
 *   c11        mtx_timedlock on a timed mutex, a recursive mtx, cnd_timedwait,
 *              call_once, thrd_detach and thrd_exit
 *   exitheld   a thread calls pthread_exit holding a mutex (a misuse: the
 *              one finding expected)
 * usage: pr_sync_rare MODE */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

long guarded;
static pthread_mutex_t robust_m, plain_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t *named;
static mtx_t c11_m, c11_rec;
static cnd_t c11_cv;
static once_flag c11_once = ONCE_FLAG_INIT;
static int c11_ready, c11_inits;
static const char *mode;
static int recovered, timed_out;

static struct timespec in_ms(clockid_t clk, long ms)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void robust_lock(void)
{
    int r = pthread_mutex_lock(&robust_m);
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(&robust_m);
        recovered++;
    }
}

static void *robust_dier(void *arg)
{
    robust_lock();
    guarded += 100;
    return arg; /* ends holding robust_m: the next locker recovers it */
}

static void c11_init(void)
{
    c11_inits++;
}

static int c11_worker(void *arg)
{
    call_once(&c11_once, c11_init);
    struct timespec ts = in_ms(CLOCK_REALTIME, 5000);
    if (mtx_timedlock(&c11_m, &ts) == thrd_success) {
        mtx_lock(&c11_rec);
        mtx_lock(&c11_rec); /* recursive */
        guarded++;
        mtx_unlock(&c11_rec);
        mtx_unlock(&c11_rec);
        c11_ready++;
        cnd_broadcast(&c11_cv);
        mtx_unlock(&c11_m);
    }
    (void)arg;
    thrd_exit(0);
}

static void *worker(void *arg)
{
    long me = (long)arg;
    for (int i = 0; i < 300; i++) {
        if (!strcmp(mode, "robust")) {
            robust_lock();
            guarded++;
            pthread_mutex_unlock(&robust_m);
        } else if (!strcmp(mode, "clocklock")) {
            /* timedlock's deadline is on CLOCK_REALTIME, clocklock's on the clock named */
            clockid_t clk = i % 3 == 0 || i % 2 == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC;
            struct timespec ts = in_ms(clk, 5000);
            int r = i % 3 == 0 ? pthread_mutex_timedlock(&plain_m, &ts)
                               : pthread_mutex_clocklock(&plain_m, clk, &ts);
            if (r == 0) {
                guarded++;
                pthread_mutex_unlock(&plain_m);
            }
        } else if (!strcmp(mode, "rwtimed")) {
            /* the timed calls' deadlines are on CLOCK_REALTIME, the clock ones' on
             * the clock named */
            clockid_t clk = i % 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
            struct timespec ts = in_ms(clk, 5000), rt = in_ms(CLOCK_REALTIME, 5000);
            long seen = 0;
            switch ((i + me) % 4) {
            case 0:
                if (pthread_rwlock_timedwrlock(&rw, &rt) == 0) {
                    guarded++;
                    pthread_rwlock_unlock(&rw);
                }
                break;
            case 1:
                if (pthread_rwlock_clockwrlock(&rw, clk, &ts) == 0) {
                    guarded++;
                    pthread_rwlock_unlock(&rw);
                }
                break;
            case 2:
                if (pthread_rwlock_timedrdlock(&rw, &rt) == 0) {
                    seen += guarded;
                    pthread_rwlock_unlock(&rw);
                }
                break;
            default:
                if (pthread_rwlock_clockrdlock(&rw, clk, &ts) == 0) {
                    seen += guarded;
                    pthread_rwlock_unlock(&rw);
                }
            }
            (void)seen;
        } else if (!strcmp(mode, "semopen")) {
            sem_wait(named);
            guarded++;
            sem_post(named);
        }
        if (i % 50 == 0)
            usleep(100);
    }
    return arg;
}

static void *exit_holding(void *arg)
{
    pthread_mutex_lock(&plain_m);
    guarded++;
    pthread_exit(arg); /* @exit_held */
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "robust";
    pthread_t t[4];
    if (!strcmp(mode, "robust")) {
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(&robust_m, &a);
        pthread_mutexattr_destroy(&a);
        pthread_t d;
        pthread_create(&d, NULL, robust_dier, NULL);
        pthread_join(d, NULL);
    } else if (!strcmp(mode, "clocklock")) {
        /* One timed lock that times out: another thread holds the mutex. */
        pthread_mutex_lock(&plain_m);
        pthread_t w;
        struct timespec ts = in_ms(CLOCK_MONOTONIC, 20);
        int r = pthread_mutex_clocklock(&plain_m, CLOCK_MONOTONIC, &ts);
        timed_out = r == EDEADLK || r == ETIMEDOUT; /* it is ours: no wait forever */
        pthread_mutex_unlock(&plain_m);
        (void)w;
    } else if (!strcmp(mode, "semopen")) {
        char name[64];
        snprintf(name, sizeof name, "/pr_sync_rare.%d", (int)getpid());
        named = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
        if (named == SEM_FAILED) {
            perror("sem_open");
            return 1;
        }
        sem_unlink(name);
    } else if (!strcmp(mode, "c11")) {
        mtx_init(&c11_m, mtx_timed);
        mtx_init(&c11_rec, mtx_plain | mtx_recursive);
        cnd_init(&c11_cv);
        thrd_t c[4];
        for (int i = 0; i < 4; i++) {
            thrd_create(&c[i], c11_worker, NULL);
            thrd_detach(c[i]);
        }
        mtx_lock(&c11_m);
        while (c11_ready < 4) {
            struct timespec ts = in_ms(CLOCK_REALTIME, 10000);
            if (cnd_timedwait(&c11_cv, &c11_m, &ts) == thrd_timedout)
                break;
        }
        long total = guarded;
        mtx_unlock(&c11_m);
        printf("c11: %d ready, %d init, guarded %ld\n", c11_ready, c11_inits, total);
        return 0;
    } else if (!strcmp(mode, "exitheld")) {
        pthread_t e;
        pthread_create(&e, NULL, exit_holding, NULL);
        pthread_join(e, NULL);
        printf("exitheld: guarded %ld\n", guarded);
        return 0;
    }
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    if (named)
        sem_close(named);
    printf("%s: guarded %ld, recovered %d, timed out %d\n", mode, guarded, recovered,
           timed_out);
    return 0;
}
