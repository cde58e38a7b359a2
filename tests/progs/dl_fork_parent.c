/*
 * A lock held by one thread while another forks is orphaned in the child,
 * never in the parent: there its holder goes on and releases it.  T1
 * holds `held_lock` for a while; T2 forks again and again (each child
 * exits at once); T3 keeps trying to take `held_lock` with a 1 ms timeout,
 * so that many of its waits begin while a fork is under way.  Nothing
 * here can deadlock: the program must run to its end (it once was ended
 * for a "deadlock" on a lock orphaned by a fork, in the parent).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop;

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held_lock);
    usleep(300000);
    pthread_mutex_unlock(&held_lock);
    return NULL;
}

static void *forker(void *arg)
{
    int *forks = arg;
    while (!stop) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        if (p > 0) {
            waitpid(p, NULL, 0);
            ++*forks;
        }
    }
    return NULL;
}

static void *taker(void *arg)
{
    int *tries = arg;
    for (int got = 0; !got;) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 1000000;
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
        got = pthread_mutex_timedlock(&held_lock, &t) == 0;
        ++*tries;
    }
    pthread_mutex_unlock(&held_lock);
    return NULL;
}

int main(void)
{
    int forks = 0, tries = 0;
    pthread_t a, b, c;
    pthread_create(&a, NULL, holder, NULL);
    usleep(10000);
    pthread_create(&b, NULL, forker, &forks);
    pthread_create(&c, NULL, taker, &tries);
    pthread_join(a, NULL);
    pthread_join(c, NULL);
    stop = 1;
    pthread_join(b, NULL);
    printf("done: %s\n", forks > 0 && tries > 1 ? "forked and waited" : "did not overlap");
    return 0;
}
