/*
 * A signal handler installed with every signal in its mask (sigfillset, a
 * common way to keep handlers from nesting) writes a global the main thread
 * reads.  The handler runs with SIGTRAP blocked, so a watchpoint's trap
 * for its write is queued by the kernel and delivered when the handler
 * returns, with a context that is not the write's (somewhere in raise or
 * in sigreturn's caller, in the C library).  lockscope must count such a
 * trap as stray, not take the global for one only the library touches (it
 * then stopped watching it), and must not be killed by it.  A second
 * thread keeps running so that the watchpoints are armed.
 *
 * Usage: sg_masked N   (raises SIGUSR1 N times; prints the count)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile sig_atomic_t got_usr1;
long seen;
static volatile int stop;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1++;
}

static void *idle(void *arg)
{
    (void)arg;
    while (!stop)
        usleep(1000);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigfillset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    usleep(10000);
    for (int i = 0; i < n; i++) {
        raise(SIGUSR1);
        seen += got_usr1 > i; /* a read of the global outside the handler */
        usleep(200);
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("%d signals, %ld seen\n", (int)got_usr1, seen);
    return 0;
}
