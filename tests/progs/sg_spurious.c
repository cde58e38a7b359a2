/*
 * Debug exceptions that name no cause.  With watchpoints armed the kernel
 * can deliver a SIGTRAP for a watchpoint hit whose status the CPU did not
 * report (si_code TRAP_BRKPT, as for an icebp instruction) or one whose
 * slot was being moved (TRAP_HWBKPT); lockscope ignores those, and the
 * program goes on.  Such a trap cannot be made to happen on demand, so it
 * is forged: a thread sends itself SIGTRAP with these codes (the kernel lets
 * a process do so to itself).  A real icebp is the program's own and still
 * ends it with SIGTRAP, with and without lockscope.
 *
 * A second thread keeps writing a global under a lock, so that lockscope's
 * watchpoints are armed and firing meanwhile.
 *
 * Usage: sg_spurious forged N   (sends N of each code; prints "went on")
 *        sg_spurious icebp      (dies of SIGTRAP)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
long work_done;
static volatile int stop;

static void *worker(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&work_lock);
        work_done++;
        pthread_mutex_unlock(&work_lock);
    }
    return NULL;
}

static void forge(int code)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGTRAP;
    si.si_code = code;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGTRAP, &si);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    usleep(20000);
    if (!strcmp(argv[1], "icebp")) {
        __asm__ volatile(".byte 0xf1");
        puts("not reached");
    } else {
        int n = argc > 2 ? atoi(argv[2]) : 1;
        for (int i = 0; i < n; i++) {
            forge(TRAP_BRKPT);
            forge(TRAP_HWBKPT);
            usleep(1000);
        }
        puts("went on");
    }
    stop = 1;
    pthread_join(t, NULL);
    return 0;
}
