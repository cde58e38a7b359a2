/* Atomic instructions on plain (not _Atomic) objects, from four threads:
 * lock inc, __atomic_fetch_add, __sync_fetch_and_add (both a lock add or
 * lock xadd) and xchg.  They are synchronization, never one side of a
 * race; main reads the results after joining.  Nothing to report.  The
 * argument picks one: lockinc, fetchadd, syncadd, xchg. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int hits;          /* lock incl */
long total;        /* __atomic_fetch_add */
long sent;         /* __sync_fetch_and_add */
int owner;         /* xchg */

static const char *which;

static void *work(void *arg)
{
    long me = (long)arg;
    for (int i = 0; i < 2000; i++) {
        if (!strcmp(which, "lockinc"))
            __asm__ volatile("lock incl %0" : "+m"(hits)); /* @lockinc */
        else if (!strcmp(which, "fetchadd"))
            __atomic_fetch_add(&total, 3, __ATOMIC_SEQ_CST); /* @fetchadd */
        else if (!strcmp(which, "syncadd"))
            __sync_fetch_and_add(&sent, 5); /* @syncadd */
        else
            __atomic_exchange_n(&owner, (int)me, __ATOMIC_SEQ_CST); /* @xchg */
        if (i % 4 == 0)
            usleep(20);
    }
    return arg;
}

int main(int argc, char **argv)
{
    which = argc > 1 ? argv[1] : "lockinc";
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, work, (void *)(i + 1));
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("%d %ld %ld %s\n", hits, total, sent, owner ? "owned" : "?");
    return 0;
}
