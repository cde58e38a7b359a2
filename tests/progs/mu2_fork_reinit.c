/* libuv's threadpool after fork: the parent has four threads waiting on a
 * condvar and one holding a mutex and an rwlock (for reading) when it
 * forks.  The child, where only the forking thread exists, initializes the
 * condvar, the mutex and the rwlock again, starts
 * workers of its own that wait on the condvar, wakes and joins them, and
 * destroys both.  Correct: nothing to report, in either process.
 * usage: mu2_fork_reinit [reinit-busy]
 *   reinit-busy: the child initializes the condvar again while one of its
 *   own workers waits on it (reinit-in-use, naming that worker). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t cond;
static int go, waiting, held;
/* taken by the forking thread around fork, initialized again in the child
 * (a common pthread_atfork pattern) */
static pthread_mutex_t atfork_lock = PTHREAD_MUTEX_INITIALIZER;

static void prepare(void)
{
    pthread_mutex_lock(&atfork_lock);
}

static void in_parent(void)
{
    pthread_mutex_unlock(&atfork_lock);
}

static void in_child(void)
{
    pthread_mutex_init(&atfork_lock, NULL);
}

static void *worker(void *arg)
{
    pthread_mutex_lock(&mutex);
    waiting++;
    while (!go)
        pthread_cond_wait(&cond, &mutex); /* @worker_waits */
    waiting--;
    pthread_mutex_unlock(&mutex);
    return arg;
}

static int get(int *v)
{
    pthread_mutex_lock(&mutex);
    int x = *v;
    pthread_mutex_unlock(&mutex);
    return x;
}

static void *holder(void *arg)
{
    pthread_mutex_lock(&busy);
    pthread_rwlock_rdlock(&table);
    pthread_mutex_lock(&mutex);
    held = 1;
    pthread_mutex_unlock(&mutex);
    while (!get(&go))
        usleep(1000);
    pthread_rwlock_unlock(&table);
    pthread_mutex_unlock(&busy);
    return arg;
}

static void wait_for_waiters(int n)
{
    while (get(&waiting) != n)
        usleep(1000);
}

static int child(int reinit_busy)
{
    /* what libuv's init_threads does in the child */
    pthread_cond_init(&cond, NULL);
    pthread_mutex_init(&mutex, NULL);
    pthread_mutex_init(&busy, NULL);
    pthread_rwlock_init(&table, NULL);
    go = 0;
    waiting = 0;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    wait_for_waiters(2);
    if (reinit_busy) {
        pthread_cond_init(&cond, NULL); /* @reinit_busy */
        /* glibc's condvar is broken now: its waiters may never leave */
        usleep(50 * 1000);
        _exit(0);
    }
    pthread_mutex_lock(&mutex);
    go = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mutex);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_mutex_lock(&busy);
    pthread_mutex_unlock(&busy);
    pthread_rwlock_wrlock(&table);
    pthread_rwlock_unlock(&table);
    pthread_cond_destroy(&cond);
    pthread_mutex_destroy(&busy);
    pthread_rwlock_destroy(&table);
    return 0;
}

int main(int argc, char **argv)
{
    int reinit_busy = argc > 1 && !strcmp(argv[1], "reinit-busy");
    pthread_atfork(prepare, in_parent, in_child);
    pthread_cond_init(&cond, NULL);
    pthread_t t[4], h;
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    pthread_create(&h, NULL, holder, NULL);
    wait_for_waiters(4);
    while (!get(&held))
        usleep(1000);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        exit(child(reinit_busy));
    }
    pthread_mutex_lock(&mutex);
    go = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mutex);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    pthread_join(h, NULL);
    pthread_cond_destroy(&cond);
    int st = 0;
    waitpid(pid, &st, 0);
    puts("done");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
