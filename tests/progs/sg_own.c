/*
 * A program that handles its own signals, and prints everything the kernel
 * and the C library show it about them; its output and its wait status
 * must be the same with and without lockscope.  Every mode first starts a
 * thread (so lockscope's watchpoints, and their SIGTRAP, are on).
 *
 *   view     for SIGUSR1, SIGPIPE, SIGSEGV, SIGTRAP, a real-time signal and
 *            SIGCHLD: what sigaction reads back (handler, flags, mask,
 *            restorer) after each of signal, bsd_signal, sysv_signal,
 *            sigset, sigignore, siginterrupt and sigaction set it, what
 *            each returns, and what a handler sees when the signal comes
 *            (SA_RESETHAND, SA_NODEFER, its mask, SA_ONSTACK); the errors
 *            of reserved and invalid signals
 *   segv     a SIGSEGV handler set with signal() recovers from three faults,
 *            then sets SIG_DFL and returns: the fourth fault kills
 *   ignore   SIGTERM, SIGPIPE and SIGUSR1 ignored (with sigaction, signal,
 *            sigignore) and sent to the main thread while it sleeps: the
 *            sleep is not interrupted
 *   inherit  SIGPIPE (signal) and SIGTRAP (sigaction) ignored, then exec: the new program
 *            (mode `inherited`) finds them ignored, survives a write to a
 *            closed pipe and raise(SIGTRAP)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Declared by <signal.h> only for older standards. */
extern __sighandler_t bsd_signal(int, __sighandler_t);
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* sigset, siginterrupt, ... */

long shared_value;
pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*libc_restorer)(void);
static char altstack[64 * 1024];

static void *toucher(void *arg)
{
    pthread_mutex_lock(&shared_lock);
    shared_value++;
    pthread_mutex_unlock(&shared_lock);
    return arg;
}

static void start_thread(void)
{
    pthread_t t;
    pthread_create(&t, NULL, toucher, NULL);
    pthread_join(t, NULL);
}

/* ---- view ---------------------------------------------------------------- */

static volatile int seen, seen_self_blocked, seen_usr2_blocked, seen_reset, seen_onstack;

static void note(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    seen++;
    seen_self_blocked = sigismember(&cur, sig) == 1;
    seen_usr2_blocked = sigismember(&cur, SIGUSR2) == 1;
    struct sigaction now;
    sigaction(sig, NULL, &now);
    seen_reset = now.sa_handler == SIG_DFL;
    stack_t ss;
    seen_onstack = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

static void h1(int sig)
{
    note(sig);
}

static void h2(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    note(sig);
}

static const char *name(void (*h)(int))
{
    if (h == SIG_DFL)
        return "SIG_DFL";
    if (h == SIG_IGN)
        return "SIG_IGN";
    if (h == SIG_ERR)
        return "SIG_ERR";
    if (h == SIG_HOLD)
        return "SIG_HOLD";
    if (h == h1)
        return "h1";
    if (h == (void (*)(int))h2)
        return "h2";
    return "other";
}

static void show(int sig, const char *what, const char *ret)
{
    struct sigaction sa;
    memset(&sa, 0x5a, sizeof sa);
    int r = sigaction(sig, NULL, &sa);
    printf("%2d %-28s ret=%-8s now: r=%d %-7s flags=%#x restorer=%s mask=", sig, what, ret, r,
           name(sa.sa_handler), (unsigned)sa.sa_flags,
           !sa.sa_restorer ? "none" : sa.sa_restorer == libc_restorer ? "libc" : "other");
    for (int s = 1; s < 65; s++)
        if (sigismember(&sa.sa_mask, s) == 1)
            printf("%d,", s);
    printf("\n");
}

static void deliver(int sig, const char *what)
{
    seen = seen_self_blocked = seen_usr2_blocked = seen_reset = seen_onstack = 0;
    raise(sig);
    printf("%2d %-28s delivered %d: itself blocked %d, SIGUSR2 blocked %d, reset %d, "
           "alternate stack %d\n",
           sig, what, seen, seen_self_blocked, seen_usr2_blocked, seen_reset, seen_onstack);
}

static void view_one(int sig)
{
    struct sigaction sa, old;
    char ret[32];
    show(sig, "initially", "-");

    show(sig, "signal(h1)", name(signal(sig, h1)));
    deliver(sig, "signal(h1)");

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h2;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    memset(&old, 0, sizeof old);
    int r = sigaction(sig, &sa, &old);
    snprintf(ret, sizeof ret, "%d/%s/%#x", r, name(old.sa_handler), (unsigned)old.sa_flags);
    show(sig, "sigaction(h2, oneshot...)", ret);
    deliver(sig, "sigaction(h2, oneshot...)");
    show(sig, "after the one shot", "-");

    show(sig, "sysv_signal(h1)", name(sysv_signal(sig, h1)));
    deliver(sig, "sysv_signal(h1)");
    show(sig, "after the one shot", "-");

    snprintf(ret, sizeof ret, "%d", siginterrupt(sig, 1));
    show(sig, "siginterrupt(1)", ret);
    show(sig, "signal(h1), interrupting", name(signal(sig, h1)));
    snprintf(ret, sizeof ret, "%d", siginterrupt(sig, 0));
    show(sig, "siginterrupt(0)", ret);
    show(sig, "bsd_signal(SIG_DFL)", name(bsd_signal(sig, SIG_DFL)));

    show(sig, "sigset(h1)", name(sigset(sig, h1)));
    deliver(sig, "sigset(h1)");
    /* (SIGTRAP is never held while watchpoints are on: not compared) */
    if (sig != SIGTRAP) {
        show(sig, "sigset(SIG_HOLD)", name(sigset(sig, SIG_HOLD)));
        show(sig, "sigset(SIG_DFL)", name(sigset(sig, SIG_DFL)));
    } else {
        show(sig, "sigset(SIG_DFL)", name(sigset(sig, SIG_DFL)));
    }

    snprintf(ret, sizeof ret, "%d", sigignore(sig));
    show(sig, "sigignore", ret);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_RESTART | 0x400; /* SA_UNSUPPORTED: the kernel drops it */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaddset(&sa.sa_mask, SIGKILL);
    r = sigaction(sig, &sa, &old);
    snprintf(ret, sizeof ret, "%d/%s", r, name(old.sa_handler));
    show(sig, "sigaction(SIG_DFL, flags)", ret);

    snprintf(ret, sizeof ret, "%d", sigaction(sig, NULL, NULL));
    show(sig, "sigaction(NULL, NULL)", ret);
}

static void view(void)
{
    /* glibc's restorer, as a signal lockscope never takes shows it */
    signal(SIGWINCH, h1);
    struct sigaction ref;
    sigaction(SIGWINCH, NULL, &ref);
    libc_restorer = ref.sa_restorer;
    signal(SIGWINCH, SIG_DFL);

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    int sigs[] = {SIGUSR1, SIGPIPE, SIGSEGV, SIGTRAP, SIGRTMIN + 3, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        view_one(sigs[i]);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h1;
    int bad[] = {0, 32, 33, SIGKILL, SIGSTOP, 65};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        int r = sigaction(bad[i], &sa, NULL);
        int e1 = errno;
        errno = 0;
        const char *s = name(signal(bad[i], h1));
        int e2 = errno;
        errno = 0;
        const char *v = name(sysv_signal(bad[i], h1));
        int e3 = errno;
        errno = 0;
        int g = sigignore(bad[i]);
        int e4 = errno;
        printf("%2d sigaction %d/%d signal %s/%d sysv_signal %s/%d sigignore %d/%d\n", bad[i], r,
               e1, s, e2, v, e3, g, e4);
    }
    errno = 0;
    printf("signal(SIGUSR1, SIG_ERR): %s/%d\n", name(signal(SIGUSR1, SIG_ERR)), errno);
    errno = 1234;
    signal(SIGUSR1, SIG_DFL);
    sigaction(SIGPIPE, NULL, &sa);
    printf("errno after successful calls: %d\n", errno);
}

/* ---- segv ------------------------------------------------------------------- */

static sigjmp_buf recover;
static volatile int faults;
static char *volatile hole;

static void on_segv(int sig)
{
    if (++faults <= 3)
        siglongjmp(recover, 1);
    signal(sig, SIG_DFL); /* a real crash: die of it */
}

static void segv(void)
{
    void (*prev)(int) = signal(SIGSEGV, on_segv);
    printf("signal(SIGSEGV) returned %s\n", name(prev));
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    printf("SIGSEGV handler %s flags %#x\n", now.sa_handler == on_segv ? "on_segv" : "other",
           (unsigned)now.sa_flags);
    for (int i = 0; i < 4; i++) {
        if (sigsetjmp(recover, 1) == 0) {
            printf("fault %d\n", i + 1);
            fflush(stdout);
            *hole = 1;
        }
    }
    printf("not reached\n");
}

static void write_closed_pipe(void)
{
    int p[2];
    if (pipe(p) == 0) {
        close(p[0]);
        errno = 0;
        ssize_t w = write(p[1], "x", 1);
        printf("write to a closed pipe: %zd, %s\n", w, errno == EPIPE ? "EPIPE" : "?");
        close(p[1]);
    }
}

/* ---- ignore ------------------------------------------------------------------ */

static pthread_t main_thread;
static volatile int pest_sig;

static void *pest(void *arg)
{
    struct timespec gap = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 20; i++) {
        nanosleep(&gap, NULL);
        pthread_kill(main_thread, pest_sig);
    }
    return arg;
}

static void ignored_sleep(int sig, const char *how)
{
    if (!strcmp(how, "sigaction")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigaction(sig, &sa, NULL);
    } else if (!strcmp(how, "signal")) {
        signal(sig, SIG_IGN);
    } else {
        sigignore(sig);
    }
    pest_sig = sig;
    pthread_t t;
    pthread_create(&t, NULL, pest, NULL);
    struct timespec nap = {0, 400 * 1000 * 1000}, left = {0, 0};
    int r = nanosleep(&nap, &left);
    int e = errno;
    pthread_join(t, NULL);
    printf("signal %d ignored with %s: sleep %s\n", sig, how,
           r == 0 ? "not interrupted" : e == EINTR ? "interrupted" : "failed");
}

static void ignore(void)
{
    main_thread = pthread_self();
    ignored_sleep(SIGTERM, "sigaction");
    ignored_sleep(SIGPIPE, "signal");
    ignored_sleep(SIGUSR1, "sigignore");
    write_closed_pipe();
}

/* ---- inherit -------------------------------------------------------------------- */

static void inherit(char *self)
{
    signal(SIGPIPE, SIG_IGN);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGTRAP, &ign, NULL);
    fflush(stdout);
    char *argv[] = {self, "inherited", NULL};
    execv("/proc/self/exe", argv);
    perror("exec");
}

static void inherited(void)
{
    struct sigaction pipe_act, trap_act;
    sigaction(SIGPIPE, NULL, &pipe_act);
    sigaction(SIGTRAP, NULL, &trap_act);
    printf("after exec: SIGPIPE %s, SIGTRAP %s\n", name(pipe_act.sa_handler),
           name(trap_act.sa_handler));
    write_closed_pipe();
    raise(SIGTRAP);
    printf("survived raise(SIGTRAP)\n");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "view";
    setvbuf(stdout, NULL, _IOLBF, 0);
    start_thread();
    if (!strcmp(mode, "view"))
        view();
    else if (!strcmp(mode, "segv"))
        segv();
    else if (!strcmp(mode, "ignore"))
        ignore();
    else if (!strcmp(mode, "inherit"))
        inherit(argv[0]);
    else if (!strcmp(mode, "inherited"))
        inherited();
    else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
