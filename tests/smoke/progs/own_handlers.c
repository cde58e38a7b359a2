/*
 * A program with its own SIGSEGV and SIGTRAP handlers, the way a runtime
 * (a JIT, a debugger stub, a garbage collector) has them:
 * - SIGSEGV: each of two threads touches an unmapped page 3 times and
 *   recovers with siglongjmp;
 * - SIGTRAP: raise(SIGTRAP) and an int3 instruction, 3 times each, counted
 *   by its handler (lockscope's watchpoints also deliver SIGTRAP; its own
 *   traps must not reach this handler, and these must);
 * and, to prove that it is still analyzed, a write-write race on
 * `last_writer` (both threads, no lock) and the a_lock/b_lock lock-order
 * cycle.  Prints what its handlers counted; the counts must be the same
 * with and without lockscope.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
long last_writer;
/* worker 2 takes b_lock then a_lock only after worker 1 has released both:
 * a real lock-order cycle (both threads alive), but no deadlock in this run */
static sem_t ab_done;
/* Counted per thread (no _Atomic: lockscope would then not judge races):
 * SIGSEGVs in each worker's own __thread counter, SIGTRAPs only in the main
 * thread, which raises them. */
static __thread int segv_count;
volatile int trap_count, foreign_traps;
static __thread sigjmp_buf *volatile recover; /* set around the fault */
static char *hole;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (si->si_addr == hole && recover) {
        segv_count++;
        siglongjmp(*recover, 1);
    }
    signal(sig, SIG_DFL); /* a real crash: die of it */
}

static void on_trap(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    /* raise() gives SI_TKILL; int3 gives SI_KERNEL (or TRAP_BRKPT). */
    if (si->si_code == SI_TKILL || si->si_code == SI_KERNEL || si->si_code == TRAP_BRKPT)
        trap_count++;
    else
        foreign_traps++;
}

static void touch_hole(void)
{
    sigjmp_buf here;
    if (sigsetjmp(here, 1) == 0) {
        recover = &here;
        *(volatile char *)hole = 1;
    }
    recover = NULL;
}

static void *worker(void *arg)
{
    long me = (long)arg;
    for (int i = 0; i < 3; i++) {
        touch_hole();
        usleep(10 * 1000);
        last_writer = me; /* the race */
    }
    if (me == 1) {
        pthread_mutex_lock(&a_lock);
        pthread_mutex_lock(&b_lock);
        pthread_mutex_unlock(&b_lock);
        pthread_mutex_unlock(&a_lock);
        sem_post(&ab_done);
    } else {
        sem_wait(&ab_done);
        pthread_mutex_lock(&b_lock);
        pthread_mutex_lock(&a_lock);
        pthread_mutex_unlock(&a_lock);
        pthread_mutex_unlock(&b_lock);
    }
    return (void *)(long)segv_count;
}

int main(void)
{
    sem_init(&ab_done, 0, 0);
    hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sa.sa_sigaction = on_trap;
    sigaction(SIGTRAP, &sa, NULL);

    pthread_t a, b;
    pthread_create(&a, NULL, worker, (void *)1);
    pthread_create(&b, NULL, worker, (void *)2);
    for (int i = 0; i < 3; i++) {
        raise(SIGTRAP);
        __asm__ volatile("int3");
    }
    void *ra, *rb;
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    printf("segv recovered %ld, traps handled %d, foreign traps %d, last writer %s\n",
           (long)ra + (long)rb, trap_count, foreign_traps, last_writer ? "set" : "unset");
    return 0;
}
