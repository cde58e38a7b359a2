/* Heavy contention, measured by the program itself: 4 threads each take
 * hot_lock 2000 times and hold it ~20 us; each thread times its own
 * pthread_mutex_lock calls and its holds (from the lock's return to the
 * unlock call).  The program prints what it counted and measured, for the
 * test to compare with lockscope's profile. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long waited_ns[4], held_ns[4], held_max_ns[4];
static long guarded;

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < 2000; i++) {
        unsigned long long t0 = now_ns();
        pthread_mutex_lock(&hot_lock);
        waited_ns[id] += now_ns() - t0;
        unsigned long long until = now_ns() + 20000;
        unsigned long long t1;
        while ((t1 = now_ns()) < until)
            guarded++;
        unsigned long long held = t1 - (until - 20000);
        pthread_mutex_unlock(&hot_lock);
        held_ns[id] += held;
        if (held > held_max_ns[id])
            held_max_ns[id] = held;
    }
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    unsigned long long total = 0, held = 0, longest = 0;
    for (int i = 0; i < 4; i++) {
        total += waited_ns[i];
        held += held_ns[i];
        if (held_max_ns[i] > longest)
            longest = held_max_ns[i];
    }
    printf("acquisitions=8000 waited_ns=%llu held_ns=%llu held_max_ns=%llu\n", total, held,
           longest);
    return 0;
}
