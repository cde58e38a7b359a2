/* Readers and writers that take turns correctly on a writer-preferring
 * rwlock: readers never read-lock again what they hold, writers come and
 * go, one writer uses timed requests that give up and retry while a slow
 * reader holds the lock.  Nothing to report; every run completes. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define NREADERS 4
#define NWRITERS 2
#define READS 3000
#define WRITES 400

pthread_rwlock_t shelf_lock;
pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long shelf[8];
static long reads_done;
static pthread_barrier_t slow_in;

static void *reader(void *arg)
{
    long local = 0;
    for (int i = 0; i < READS; i++) {
        pthread_rwlock_rdlock(&shelf_lock);
        for (int k = 0; k < 8; k++)
            local += shelf[k];
        pthread_rwlock_unlock(&shelf_lock);
    }
    pthread_mutex_lock(&stats_lock);
    reads_done += READS;
    pthread_mutex_unlock(&stats_lock);
    return (void *)local;
}

static void *writer(void *arg)
{
    long slot = (long)arg;
    for (int i = 0; i < WRITES; i++) {
        pthread_rwlock_wrlock(&shelf_lock);
        shelf[slot]++;
        pthread_rwlock_unlock(&shelf_lock);
        if (i % 50 == 0)
            usleep(1000);
    }
    return NULL;
}

static void *slow_reader(void *arg)
{
    pthread_rwlock_rdlock(&shelf_lock);
    pthread_barrier_wait(&slow_in);
    usleep(300 * 1000);
    pthread_rwlock_unlock(&shelf_lock);
    return arg;
}

/* Asks for the write lock with a 40 ms deadline and backs off until it
 * gets it. */
static void *timed_writer(void *arg)
{
    pthread_barrier_wait(&slow_in); /* the slow reader holds it */
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 40 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        int r = pthread_rwlock_clockwrlock(&shelf_lock, CLOCK_MONOTONIC, &ts);
        if (r == 0)
            break;
        if (r != ETIMEDOUT)
            return NULL;
        usleep(5 * 1000);
    }
    shelf[7] += 100;
    pthread_rwlock_unlock(&shelf_lock);
    return arg;
}

int main(void)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&shelf_lock, &a);

    pthread_barrier_init(&slow_in, NULL, 2);
    pthread_t slow, timed;
    pthread_create(&slow, NULL, slow_reader, NULL);
    pthread_create(&timed, NULL, timed_writer, NULL);
    pthread_join(slow, NULL);
    pthread_join(timed, NULL);

    pthread_t r[NREADERS], w[NWRITERS];
    for (long i = 0; i < NWRITERS; i++)
        pthread_create(&w[i], NULL, writer, (void *)i);
    for (long i = 0; i < NREADERS; i++)
        pthread_create(&r[i], NULL, reader, NULL);
    for (int i = 0; i < NREADERS; i++)
        pthread_join(r[i], NULL);
    for (int i = 0; i < NWRITERS; i++)
        pthread_join(w[i], NULL);
    long total = 0;
    for (int k = 0; k < 8; k++)
        total += shelf[k];
    printf("reads=%ld writes=%ld\n", reads_done, total);
    pthread_rwlock_destroy(&shelf_lock);
    return 0;
}
