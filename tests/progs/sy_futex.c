/* Hand-written synchronization through syscall(): a futex hand-off and a
 * membarrier, as liburcu and lock-free libraries do it.
 *   futex        data handed over: written, then a futex wake; read after
 *                the wait returns (ordered: clean)
 *   poll         the same hand-off, but the reader polls the flag with
 *                sleeps and no futex call (a race lockscope must report:
 *                a flag set by an atomic exchange and read by a plain load
 *                orders nothing it can see)
 *   membarrier   written by a thread that then sleeps; read by another
 *                after membarrier() (ordered: clean)
 *   nobarrier    the same without the membarrier (a race) */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

long handed;                  /* the futex hand-off's payload */
int flag;                     /* its futex word */
long published;               /* written before the membarrier */
static const char *mode;

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *producer(void *arg)
{
    (void)arg;
    pause_ms(100);
    handed = 42;
    __atomic_exchange_n(&flag, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &flag, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

static void *consumer(void *arg)
{
    long *out = arg;
    while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) == 0) {
        if (!strcmp(mode, "futex"))
            syscall(SYS_futex, &flag, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        else
            pause_ms(1);
    }
    *out = handed;
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    published = 7;
    pause_ms(300); /* still running when the reader's membarrier returns */
    return NULL;
}

static void *reader(void *arg)
{
    long *out = arg;
    pause_ms(100);
    if (!strcmp(mode, "membarrier") &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) != 0)
        perror("membarrier");
    *out = published;
    return NULL;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "futex";
    int hand = !strcmp(mode, "futex") || !strcmp(mode, "poll");
    pthread_t a, b;
    long got = 0;
    pthread_create(&a, NULL, hand ? producer : writer, NULL);
    pthread_create(&b, NULL, hand ? consumer : reader, &got);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%s: %ld\n", mode, got);
    return 0;
}
