/* A program that runs for a second, well past the watch's young turns, so
 * that its sampling watchpoints rest between turns.
 *
 *   rc_rests alone    one thread writes `solo` alone: nothing two threads
 *                     meet on, the slots rest two turns of three
 *   rc_rests late     after 300 ms (the young turns are over), two threads
 *                     add to `late_count` without a lock for 700 ms: a race
 *                     found in spite of the rests; four more globals, each
 *                     written by one thread, share the rotation with it
 *   rc_rests locked   the same with a mutex around the adds: clean
 *   rc_rests faults   `solo` as in alone, while another thread maps, touches
 *                     and unmaps memory all the time: page faults an armed
 *                     watchpoint makes dearer, so the slots rest longer */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

long solo;
long late_count;
long mine_a, mine_b, mine_c, mine_d;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int locked;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *alone(void *arg)
{
    for (double end = now() + 1.0; now() < end;) {
        solo++;
        usleep(1000);
    }
    return arg;
}

/* Page faults, 256 a round, for a second. */
static void *faulter(void *arg)
{
    long touched = 0;
    for (double end = now() + 1.0; now() < end;) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        for (int i = 0; i < (1 << 20); i += 4096)
            p[i] = 1;
        touched += 256;
        munmap(p, 1 << 20);
    }
    *(long *)arg = touched;
    return arg;
}

static void *adder(void *arg)
{
    long *mine = arg;
    usleep(300000);
    for (double end = now() + 0.7; now() < end;) {
        if (locked)
            pthread_mutex_lock(&m);
        late_count++; /* @late_add */
        if (locked)
            pthread_mutex_unlock(&m);
        *mine += 1;
        usleep(200);
    }
    return arg;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "alone";
    pthread_t a, b;
    if (strcmp(mode, "alone") == 0 || strcmp(mode, "faults") == 0) {
        long touched = 0;
        int faults = strcmp(mode, "faults") == 0;
        pthread_create(&a, NULL, alone, NULL);
        if (faults)
            pthread_create(&b, NULL, faulter, &touched);
        pthread_join(a, NULL);
        if (faults)
            pthread_join(b, NULL);
        printf("solo=%ld%s\n", solo, faults && touched > 0 ? ", pages touched" : "");
        return 0;
    }
    locked = strcmp(mode, "locked") == 0;
    pthread_create(&a, NULL, adder, &mine_a);
    pthread_create(&b, NULL, adder, &mine_b);
    for (double end = now() + 1.0; now() < end;) {
        mine_c++;
        mine_d += 2;
        usleep(1000);
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%s: done\n", mode);
    return 0;
}
