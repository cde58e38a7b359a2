/*
 * What one watchpoint trap costs: a thread stores to a watched global N
 * times, each store inside an uncontended lock (so that the shim writes
 * what the trap sampled, as in a real program), and times its own loop.
 * bench/run runs it natively and under lockscope, with the trap decoding
 * on and off, and divides the difference by the traps taken.
 *
 *   hot:  one store instruction, N times (the decoded site is cached after
 *         the first trap);
 *   cold: 2048 different store instructions, each once (every trap decodes
 *         its instruction afresh).
 *
 * usage: watch_trap hot|cold [N]
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

long cell;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long n;
static int cold;

#define STORE(k) \
    pthread_mutex_lock(&lock); \
    cell = (k); \
    pthread_mutex_unlock(&lock);
#define STORE8(k) STORE(k) STORE(k + 1) STORE(k + 2) STORE(k + 3) STORE(k + 4) STORE(k + 5) \
    STORE(k + 6) STORE(k + 7)
#define STORE64(k) STORE8(k) STORE8(k + 8) STORE8(k + 16) STORE8(k + 24) STORE8(k + 32) \
    STORE8(k + 40) STORE8(k + 48) STORE8(k + 56)
#define FN(i) __attribute__((noinline)) static void stores##i(void) { STORE64(i * 64) }
FN(0) FN(1) FN(2) FN(3) FN(4) FN(5) FN(6) FN(7) FN(8) FN(9) FN(10) FN(11) FN(12) FN(13)
FN(14) FN(15) FN(16) FN(17) FN(18) FN(19) FN(20) FN(21) FN(22) FN(23) FN(24) FN(25) FN(26)
FN(27) FN(28) FN(29) FN(30) FN(31)
static void (*const fns[32])(void) = {
    stores0, stores1, stores2, stores3, stores4, stores5, stores6, stores7, stores8, stores9,
    stores10, stores11, stores12, stores13, stores14, stores15, stores16, stores17, stores18,
    stores19, stores20, stores21, stores22, stores23, stores24, stores25, stores26, stores27,
    stores28, stores29, stores30, stores31};

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *worker(void *arg)
{
    /* Copies: the loop touches no watched global but cell. */
    long count = n;
    int all_different = cold;
    __asm__ volatile("" : "+r"(count), "+r"(all_different));
    long t0 = now_ns();
    if (all_different) {
        for (int i = 0; i < 32; i++)
            fns[i]();
    } else {
        for (long i = 0; i < count; i++) {
            STORE(i)
        }
    }
    *(long *)arg = now_ns() - t0;
    return arg;
}

int main(int argc, char **argv)
{
    cold = argc > 1 && !strcmp(argv[1], "cold");
    n = cold ? 2048 : bench_iterations(argc - 1, argv + 1, 20000);
    long ns = 0;
    pthread_t t;
    bench_check(pthread_create(&t, NULL, worker, &ns), "pthread_create");
    bench_check(pthread_join(t, NULL), "pthread_join");
    printf("watch_trap: stores=%ld loop_ns=%ld checksum=%ld\n", n, ns, cell);
    return 0;
}
