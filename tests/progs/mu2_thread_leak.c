/* Joinable threads that finished but were neither joined nor detached when
 * the process exits: one thread-leak per creation site (two sites here, one
 * of them used three times).  A thread still running at exit is not one.
 * usage: mu2_thread_leak leak|clean|abort|signal-exit
 *   clean: every thread joined or detached (created detached, detached by
 *   itself, detached by its creator);
 *   abort, signal-exit: the same leaks, but the process ends with abort()
 *   or with _exit from a signal handler: not reported. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *quick(void *arg)
{
    return arg;
}

static void *sleeper(void *arg)
{
    sleep(30);
    return arg;
}

static void *detach_self(void *arg)
{
    pthread_detach(pthread_self());
    return arg;
}

/* Threads of this process the kernel still has: a thread is gone from
 * /proc/self/task only after it has finished for good. */
static int tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void leak(void)
{
    pthread_t t;
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, quick, NULL); /* @leak_loop */
    pthread_create(&t, NULL, quick, NULL); /* @leak_quick */
    pthread_create(&t, NULL, sleeper, NULL); /* still running: no leak */
    /* the four quick ones have finished: main and the sleeper are left */
    for (int i = 0; i < 5000 && tasks() > 2; i++)
        usleep(1000);
}

static void clean(void)
{
    pthread_t t[4];
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_create(&t[0], &a, quick, NULL);
    pthread_attr_destroy(&a);
    pthread_create(&t[1], NULL, detach_self, NULL);
    pthread_create(&t[2], NULL, sleeper, NULL);
    pthread_detach(t[2]);
    pthread_create(&t[3], NULL, quick, NULL);
    pthread_join(t[3], NULL);
    usleep(50 * 1000);
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(3);
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "clean")) {
        clean();
    } else if (!strcmp(c, "leak")) {
        leak();
    } else if (!strcmp(c, "abort")) {
        leak();
        abort();
    } else if (!strcmp(c, "signal-exit")) {
        leak();
        signal(SIGALRM, on_alarm);
        alarm(1);
        pause();
    } else {
        fprintf(stderr, "usage: mu2_thread_leak leak|clean|abort|signal-exit\n");
        return 2;
    }
    puts("done");
    return 0;
}
