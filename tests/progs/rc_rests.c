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
 *                     watchpoint makes dearer, so the slots rest longer
 *   rc_rests reads    the same with a thread that reads /dev/zero, 1 MB a
 *                     call (the kernel's copies are dearer too)
 *   rc_rests pingpong the same with two threads that hand a turn back and
 *                     forth through a condvar (context switches) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
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

/* Bytes read by system calls, for a second. */
static void *reader(void *arg)
{
    static char buf[1 << 20];
    long got = 0;
    int fd = open("/dev/zero", O_RDONLY);
    for (double end = now() + 1.0; fd >= 0 && now() < end;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        got += n;
    }
    if (fd >= 0)
        close(fd);
    *(long *)arg = got;
    return arg;
}

/* Context switches: two threads take turns through a condvar for a second. */
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn;
static int stop; /* (under m: an _Atomic global would keep the watch from resting) */

static void *player(void *arg)
{
    int me = arg != NULL;
    long rounds = 0;
    for (double end = now() + 1.0;;) {
        pthread_mutex_lock(&m);
        while (turn != me && !stop)
            pthread_cond_wait(&turn_changed, &m);
        if (!me && now() >= end)
            stop = 1;
        turn = !me;
        rounds++;
        pthread_cond_signal(&turn_changed);
        int done = stop;
        pthread_mutex_unlock(&m);
        if (done)
            break;
    }
    return (void *)rounds;
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
    if (strcmp(mode, "pingpong") == 0) {
        pthread_t c;
        void *r0, *r1;
        pthread_create(&a, NULL, alone, NULL);
        pthread_create(&b, NULL, player, NULL);
        pthread_create(&c, NULL, player, &c);
        pthread_join(a, NULL);
        pthread_join(b, &r0);
        pthread_join(c, &r1);
        printf("solo=%ld, %s\n", solo, (long)r0 > 0 && (long)r1 > 0 ? "played" : "not played");
        return 0;
    }
    if (strcmp(mode, "alone") == 0 || strcmp(mode, "faults") == 0 || strcmp(mode, "reads") == 0) {
        long work = 0;
        void *(*busy)(void *) = mode[0] == 'f' ? faulter : mode[0] == 'r' ? reader : NULL;
        pthread_create(&a, NULL, alone, NULL);
        if (busy)
            pthread_create(&b, NULL, busy, &work);
        pthread_join(a, NULL);
        if (busy)
            pthread_join(b, NULL);
        printf("solo=%ld%s\n", solo, work > 0 ? ", busy" : "");
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
