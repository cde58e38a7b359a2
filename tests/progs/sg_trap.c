/*
 * A program with its own SIGTRAP handler, the way a debugger stub or a
 * test harness has one, installed with the function named on the command
 * line: signal, bsd_signal, ssignal, sysv_signal, __sysv_signal, sigset,
 * sigaction (a plain handler, with SIGUSR1 in its mask), siginfo (an
 * SA_SIGINFO handler), oneshot (SA_RESETHAND), nodefer (SA_NODEFER, with
 * SIGUSR1 in its mask) or onstack (SA_ONSTACK, on an alternate stack).  It
 * starts a thread that
 * keeps writing a global under a lock (so lockscope's watchpoints, which
 * also deliver SIGTRAP, are armed and firing), then raises SIGTRAP N times
 * and executes int3 N times.
 *
 * The handler counts what it gets and notes what the kernel would show it:
 * whether SIGTRAP and SIGUSR1 are blocked while it runs, its disposition
 * then (SIG_DFL after a one-shot delivery), si_code, and whether it runs
 * on the alternate stack.  A one-shot handler installs itself again, the
 * System V way, unless the third argument is `die`: then the second
 * SIGTRAP ends the program (by SIGTRAP).
 *
 * Usage: sg_trap API N [die].  Output and status must be the same with and
 * without lockscope.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Declared by <signal.h> only for older standards, or not at all. */
extern __sighandler_t __sysv_signal(int, __sighandler_t);
extern __sighandler_t ssignal(int, __sighandler_t);
extern __sighandler_t bsd_signal(int, __sighandler_t);
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* sigset */

pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
long work_done;
static volatile int stop;

static const char *api;
static int die;
static volatile int handled, trap_blocked, usr1_blocked, reset_seen, on_altstack;
static volatile int codes[8];
static char altstack[64 * 1024];

static void install(void);

static void note(int sig, siginfo_t *si)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    trap_blocked += sigismember(&cur, SIGTRAP) == 1;
    usr1_blocked += sigismember(&cur, SIGUSR1) == 1;
    struct sigaction now;
    sigaction(sig, NULL, &now);
    reset_seen += now.sa_handler == SIG_DFL;
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
        on_altstack++;
    if (si) {
        int c = si->si_code == SI_TKILL ? 0 : si->si_code == SI_KERNEL ? 1 : 2;
        codes[c]++;
    }
    handled++;
}

static void on_trap(int sig)
{
    note(sig, NULL);
    if (!die && (!strcmp(api, "sysv_signal") || !strcmp(api, "__sysv_signal") ||
                 !strcmp(api, "oneshot")))
        install(); /* one-shot: set it again */
}

static void on_trap_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    note(sig, si);
    if (!die && !strcmp(api, "oneshot"))
        install();
}

static const char *name_of(void (*h)(int))
{
    return h == SIG_DFL ? "SIG_DFL" : h == SIG_IGN ? "SIG_IGN" : h == on_trap ? "on_trap"
           : h == SIG_ERR ? "SIG_ERR" : "other";
}

static void install(void)
{
    void (*prev)(int) = SIG_ERR;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    memset(&old, 0, sizeof old);
    sigemptyset(&sa.sa_mask);
    if (!strcmp(api, "signal"))
        prev = signal(SIGTRAP, on_trap);
    else if (!strcmp(api, "bsd_signal"))
        prev = bsd_signal(SIGTRAP, on_trap);
    else if (!strcmp(api, "ssignal"))
        prev = ssignal(SIGTRAP, on_trap);
    else if (!strcmp(api, "sysv_signal"))
        prev = sysv_signal(SIGTRAP, on_trap);
    else if (!strcmp(api, "__sysv_signal"))
        prev = __sysv_signal(SIGTRAP, on_trap);
    else if (!strcmp(api, "sigset"))
        prev = sigset(SIGTRAP, on_trap);
    else {
        if (!strcmp(api, "sigaction")) {
            sa.sa_handler = on_trap;
            sigaddset(&sa.sa_mask, SIGUSR1);
        } else {
            sa.sa_sigaction = on_trap_info;
            sa.sa_flags = SA_SIGINFO;
            if (!strcmp(api, "oneshot"))
                sa.sa_flags |= SA_RESETHAND;
            else if (!strcmp(api, "nodefer")) {
                sa.sa_flags |= SA_NODEFER;
                sigaddset(&sa.sa_mask, SIGUSR1);
            }
            else if (!strcmp(api, "onstack"))
                sa.sa_flags |= SA_ONSTACK;
            else if (strcmp(api, "siginfo")) {
                fprintf(stderr, "unknown API %s\n", api);
                exit(2);
            }
        }
        if (sigaction(SIGTRAP, &sa, &old) == 0)
            prev = old.sa_flags & SA_SIGINFO ? (void (*)(int))old.sa_sigaction : old.sa_handler;
        if (prev == (void (*)(int))on_trap_info)
            prev = on_trap;
    }
    static int first = 1;
    if (first)
        printf("%s: previous handler %s\n", api, name_of(prev));
    first = 0;
}

static void *worker(void *arg)
{
    while (!stop) {
        pthread_mutex_lock(&work_lock);
        work_done++;
        pthread_mutex_unlock(&work_lock);
    }
    return arg;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sg_trap API N [die]\n");
        return 2;
    }
    api = argv[1];
    int n = atoi(argv[2]);
    die = argc > 3 && !strcmp(argv[3], "die");
    setvbuf(stdout, NULL, _IONBF, 0);
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    install();
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    for (int i = 0; i < n; i++) {
        raise(SIGTRAP);
        __asm__ volatile("int3");
        if (die)
            printf("survived %d\n", i + 1);
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("%s: handled %d of %d; SIGTRAP blocked in %d, SIGUSR1 blocked in %d, "
           "reset in %d, on the alternate stack in %d\n",
           api, handled, 2 * n, trap_blocked, usr1_blocked, reset_seen, on_altstack);
    printf("%s: si_code tkill %d, kernel %d, other %d\n", api, codes[0], codes[1], codes[2]);
    struct sigaction now;
    sigaction(SIGTRAP, NULL, &now);
    printf("%s: at the end the disposition is %s\n", api, name_of(now.sa_handler));
    return 0;
}
