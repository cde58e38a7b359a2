/*
 * The seed's noodle/fork lock-order cycle (eat1: noodle_lock then
 * fork_lock; eat2, after eat1 is done: fork_lock then noodle_lock), then
 * death by the signal named on the command line, brought about the way it
 * happens to real programs:
 *   PIPE    writing to a pipe nobody reads (`prog | head`)
 *   ALRM    alarm(1), then pause()
 *   XCPU    a CPU-time limit of 1 s, then a busy loop
 *   XFSZ    a file-size limit, then a bigger file written
 *   VTALRM  ITIMER_VIRTUAL, then a busy loop
 *   PROF    ITIMER_PROF, then a busy loop
 *   RT      SIGRTMIN+2 queued by sigqueue
 *   RAISE:N raise(N) from a second thread
 *   other names (HUP, USR1, USR2, STKFLT, IO, PWR, SYS, TRAP, ...): kill()
 *   sent to the whole process
 * The program prints a line before it dies; its wait status (signal, core
 * dump) must be the same with and without lockscope, and the cycle must be
 * in the trace flushed at that death.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

pthread_mutex_t noodle_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t eat1_done;

static void *eat1(void *arg)
{
    pthread_mutex_lock(&noodle_lock); /* @eat1_noodle */
    pthread_mutex_lock(&fork_lock);   /* @eat1_fork */
    pthread_mutex_unlock(&fork_lock);
    pthread_mutex_unlock(&noodle_lock);
    sem_post(&eat1_done);
    return arg;
}

static void *eat2(void *arg)
{
    sem_wait(&eat1_done);
    pthread_mutex_lock(&fork_lock);   /* @eat2_fork */
    pthread_mutex_lock(&noodle_lock); /* @eat2_noodle */
    pthread_mutex_unlock(&noodle_lock);
    pthread_mutex_unlock(&fork_lock);
    return arg;
}

static volatile unsigned long spin;

static void busy(void)
{
    for (;;)
        spin++;
}

static void *raiser(void *arg)
{
    raise((int)(long)arg);
    return NULL;
}

static int by_name(const char *name)
{
    static const struct {
        const char *name;
        int sig;
    } sigs[] = {{"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"TRAP", SIGTRAP},
                {"USR1", SIGUSR1},     {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
                {"IO", SIGIO},         {"PWR", SIGPWR},   {"SYS", SIGSYS},   {"ABRT", SIGABRT},
                {"SEGV", SIGSEGV},     {"BUS", SIGBUS}};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (!strcmp(name, sigs[i].name))
            return sigs[i].sig;
    return 0;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "PIPE";
    sem_init(&eat1_done, 0, 0);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, eat1, NULL);
    pthread_create(&t2, NULL, eat2, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("dying by %s\n", how);
    fflush(stdout);

    if (!strcmp(how, "PIPE")) {
        int p[2];
        if (pipe(p) != 0)
            return 3;
        close(p[0]);
        ssize_t w = write(p[1], "x", 1);
        (void)w;
    } else if (!strcmp(how, "ALRM")) {
        alarm(1);
        pause();
    } else if (!strcmp(how, "XCPU")) {
        struct rlimit rl = {1, RLIM_INFINITY};
        setrlimit(RLIMIT_CPU, &rl);
        busy();
    } else if (!strcmp(how, "XFSZ")) {
        struct rlimit rl = {1 << 20, RLIM_INFINITY};
        setrlimit(RLIMIT_FSIZE, &rl);
        FILE *f = tmpfile();
        static char block[1 << 16];
        for (int i = 0; f && i < 64; i++)
            if (fwrite(block, 1, sizeof block, f) != sizeof block || fflush(f) != 0)
                break;
    } else if (!strcmp(how, "VTALRM") || !strcmp(how, "PROF")) {
        struct itimerval it = {{0, 0}, {0, 20000}};
        setitimer(how[0] == 'V' ? ITIMER_VIRTUAL : ITIMER_PROF, &it, NULL);
        busy();
    } else if (!strcmp(how, "RT")) {
        union sigval v = {.sival_int = 42};
        sigqueue(getpid(), SIGRTMIN + 2, v);
    } else if (!strncmp(how, "RAISE:", 6)) {
        pthread_t t;
        pthread_create(&t, NULL, raiser, (void *)(long)atoi(how + 6));
        pthread_join(t, NULL);
    } else if (by_name(how)) {
        kill(getpid(), by_name(how));
    } else {
        fprintf(stderr, "unknown signal %s\n", how);
        return 2;
    }
    sleep(5); /* a process-directed signal may take a moment */
    printf("still alive\n");
    return 0;
}
