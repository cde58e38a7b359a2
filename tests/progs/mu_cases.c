/* One pthread misuse per run, chosen by the argument, made three times at
 * the same place (lockscope must report it once).  Each case keeps the
 * program well-defined enough to finish.  usage: mu_cases RULE */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t checked;
pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag;

static void unlock_not_locked(void)
{
    for (int i = 0; i < 3; i++)
        pthread_mutex_unlock(&checked); /* @unlock_not_locked */
}

static void *hold_checked(void *arg)
{
    pthread_mutex_lock(&checked);
    usleep(100 * 1000);
    pthread_mutex_unlock(&checked);
    return arg;
}

static void unlock_not_owner(void)
{
    pthread_t t;
    pthread_create(&t, NULL, hold_checked, NULL);
    /* until the thread holds it (a busy machine may start it late) */
    while (pthread_mutex_trylock(&checked) == 0) {
        pthread_mutex_unlock(&checked);
        usleep(1000);
    }
    for (int i = 0; i < 3; i++)
        pthread_mutex_unlock(&checked); /* @unlock_not_owner */
    pthread_join(t, NULL);
}

static void destroy_locked(void)
{
    pthread_mutex_lock(&plain);
    for (int i = 0; i < 3; i++)
        pthread_mutex_destroy(&plain); /* @destroy_locked */
    pthread_mutex_unlock(&plain);
}

static void cond_wait_not_held(void)
{
    struct timespec ts;
    for (int i = 0; i < 3; i++) {
        clock_gettime(CLOCK_REALTIME, &ts);
        pthread_cond_timedwait(&cv, &plain, &ts); /* @cond_wait_not_held */
        pthread_mutex_unlock(&plain); /* the wait returns with it locked */
    }
}

static void *waits_with_plain(void *arg)
{
    pthread_mutex_lock(&plain);
    while (!flag)
        pthread_cond_wait(&cv, &plain);
    pthread_mutex_unlock(&plain);
    return arg;
}

static void cond_two_mutexes(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waits_with_plain, NULL);
    usleep(50 * 1000);
    for (int i = 0; i < 3; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&other);
        pthread_cond_timedwait(&cv, &other, &ts); /* @cond_two_mutexes */
        pthread_mutex_unlock(&other);
    }
    pthread_mutex_lock(&plain);
    flag = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&plain);
    pthread_join(t, NULL);
}

static void *exits_holding(void *arg)
{
    pthread_mutex_lock(&other); /* @exit_holding */
    return arg;
}

static void exit_holding(void)
{
    pthread_t t;
    pthread_create(&t, NULL, exits_holding, NULL);
    pthread_join(t, NULL);
}

static void rwlock_unlock_not_held(void)
{
    for (int i = 0; i < 3; i++)
        pthread_rwlock_unlock(&table); /* @rwlock_unlock_not_held */
}

static void reinit_in_use(void)
{
    pthread_mutex_lock(&plain);
    for (int i = 0; i < 3; i++)
        pthread_mutex_init(&plain, NULL); /* @reinit_in_use */
}

static void held_at_exit(void)
{
    pthread_mutex_lock(&other); /* @held_at_exit */
}

static void *waits_a_while_on_cv(void *arg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 200 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&plain);
    pthread_cond_timedwait(&cv, &plain, &ts);
    pthread_mutex_unlock(&plain);
    return arg;
}

static void destroy_cond_waiters(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waits_a_while_on_cv, NULL);
    usleep(50 * 1000);
    /* glibc's destroy waits for the waiter to leave (it times out) */
    pthread_cond_destroy(&cv); /* @destroy_cond_waiters */
    pthread_join(t, NULL);
}

static sem_t sem;

static void *waits_on_sem(void *arg)
{
    sem_wait(&sem);
    return arg;
}

static void destroy_in_use(void)
{
    pthread_t t;
    sem_init(&sem, 0, 0);
    pthread_create(&t, NULL, waits_on_sem, NULL);
    usleep(50 * 1000);
    for (int i = 0; i < 3; i++)
        sem_destroy(&sem); /* @destroy_in_use */
    sem_post(&sem);
    pthread_join(t, NULL);
}

static void call_error(void)
{
    pthread_mutex_t broken;
    memset(&broken, 0xff, sizeof broken); /* not an initialized mutex */
    for (int i = 0; i < 3; i++)
        pthread_mutex_lock(&broken); /* @call_error */
}

int main(int argc, char **argv)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&checked, &a);
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "unlock-not-locked"))
        unlock_not_locked();
    else if (!strcmp(c, "unlock-not-owner"))
        unlock_not_owner();
    else if (!strcmp(c, "destroy-locked"))
        destroy_locked();
    else if (!strcmp(c, "cond-wait-not-held"))
        cond_wait_not_held();
    else if (!strcmp(c, "cond-two-mutexes"))
        cond_two_mutexes();
    else if (!strcmp(c, "exit-holding-locks"))
        exit_holding();
    else if (!strcmp(c, "rwlock-unlock-not-held"))
        rwlock_unlock_not_held();
    else if (!strcmp(c, "reinit-in-use"))
        reinit_in_use();
    else if (!strcmp(c, "held-at-process-exit"))
        held_at_exit();
    else if (!strcmp(c, "destroy-cond-waiters"))
        destroy_cond_waiters();
    else if (!strcmp(c, "destroy-in-use"))
        destroy_in_use();
    else if (!strcmp(c, "call-error"))
        call_error();
    else {
        fprintf(stderr, "usage: mu_cases RULE\n");
        return 2;
    }
    puts("done");
    return 0;
}
