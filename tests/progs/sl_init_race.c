/* A sync object initialized by one thread while another uses it, with
 * nothing between them (only time: a sleep orders nothing).
 * usage: sl_init_race init-first|use-first|heap|cond
 *   init-first: main initializes `m` while T1 sleeps, then T1 locks it;
 *   use-first:  T1 locks and unlocks `m` (statically initialized), then main
 *               initializes it again while T1 sleeps;
 *   heap:       the same as init-first with a mutex in a malloc'ed block
 *               whose address T1 was given;
 *   cond:       main initializes the condvar `cv` while T1 sleeps, then T1
 *               signals it;
 *   rwlock:     the same with the rwlock `rw`, which T1 read-locks;
 *   sem:        the same with the semaphore `sem`, which T1 tries to take;
 *   destroy:    T1 locks and unlocks a mutex in a malloc'ed block (initialized
 *               before T1 was created), and main destroys it while T1 sleeps. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int use_first;

static void *user(void *arg)
{
    if (!use_first)
        usleep(100 * 1000);
    pthread_mutex_lock(&m); /* @use */
    pthread_mutex_unlock(&m); /* @use (the last use, named when the init comes after) */
    if (use_first)
        usleep(200 * 1000);
    return arg;
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *signaller(void *arg)
{
    usleep(100 * 1000);
    pthread_cond_signal(&cv); /* @signal */
    return arg;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;

static void *reader(void *arg)
{
    usleep(100 * 1000);
    pthread_rwlock_rdlock(&rw); /* @rdlock */
    pthread_rwlock_unlock(&rw);
    return arg;
}

static void *taker(void *arg)
{
    usleep(100 * 1000);
    sem_trywait(&sem); /* @trywait */
    return arg;
}

static void *heap_user_first(void *arg)
{
    pthread_mutex_t *hm = arg;
    pthread_mutex_lock(hm); /* @heap_first */
    pthread_mutex_unlock(hm); /* @heap_first */
    usleep(200 * 1000);
    return NULL;
}

static void *heap_user(void *arg)
{
    pthread_mutex_t *hm = arg;
    usleep(100 * 1000);
    pthread_mutex_lock(hm); /* @heap_use */
    pthread_mutex_unlock(hm);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_t t;
    if (!strcmp(mode, "heap")) {
        pthread_mutex_t *hm = malloc(sizeof *hm);
        pthread_create(&t, NULL, heap_user, hm);
        pthread_mutex_init(hm, NULL); /* @heap_init */
        pthread_join(t, NULL);
        pthread_mutex_destroy(hm);
        free(hm);
        puts("done");
        return 0;
    }
    if (!strcmp(mode, "destroy")) {
        pthread_mutex_t *hm = malloc(sizeof *hm);
        pthread_mutex_init(hm, NULL);
        pthread_create(&t, NULL, heap_user_first, hm);
        usleep(100 * 1000);
        pthread_mutex_destroy(hm); /* @heap_destroy */
        pthread_join(t, NULL);
        free(hm);
        puts("done");
        return 0;
    }
    if (!strcmp(mode, "rwlock") || !strcmp(mode, "sem")) {
        int is_rw = !strcmp(mode, "rwlock");
        pthread_create(&t, NULL, is_rw ? reader : taker, NULL);
        if (is_rw)
            pthread_rwlock_init(&rw, NULL); /* @rwlock_init */
        else
            sem_init(&sem, 0, 1); /* @sem_init */
        pthread_join(t, NULL);
        if (is_rw)
            pthread_rwlock_destroy(&rw);
        else
            sem_destroy(&sem);
        puts("done");
        return 0;
    }
    if (!strcmp(mode, "cond")) {
        pthread_create(&t, NULL, signaller, NULL);
        pthread_cond_init(&cv, NULL); /* @cond_init */
        pthread_join(t, NULL);
        pthread_cond_destroy(&cv);
        puts("done");
        return 0;
    }
    use_first = !strcmp(mode, "use-first");
    pthread_create(&t, NULL, user, NULL);
    if (use_first)
        usleep(100 * 1000);
    pthread_mutex_init(&m, NULL); /* @init */
    pthread_join(t, NULL);
    pthread_mutex_destroy(&m);
    puts("done");
    return 0;
}
