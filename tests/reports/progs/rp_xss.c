/* A lock-order cycle and a data race in a program whose every name a
 * report shows is hostile: the test compiles this file under a directory
 * and a file name containing HTML, runs it with HTML in its arguments, and
 * names its threads with HTML; the lines of the race, which the report
 * quotes from this file, carry HTML too.  The reports must show all of it
 * as text.
 *
 * Two heap mutexes (named by their init site, so the file name is in the
 * lock labels), taken in opposite orders by two threads that never overlap
 * in time (no real deadlock, the cycle is still reported).  Both threads
 * write xss_hits outside the locks: after ab's unlocks, before ba's locks,
 * so nothing orders them (a race, on the only global written while
 * threads run).  Each thread's writes are spread over 300 ms, several
 * turns of the watch rotation, which the heap blocks share. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t *a, *b;
long xss_hits;

/* Linux keeps at most 15 bytes of a thread name: the long payload is
 * refused (ERANGE), the short one fits. */
static void set_name(const char *long_name, const char *short_name)
{
    if (pthread_setname_np(pthread_self(), long_name) != 0)
        pthread_setname_np(pthread_self(), short_name);
}

static void *ab(void *arg)
{
    set_name("<img src=x onerror=alert(1)>", "<i id=xs>1</i>");
    pthread_mutex_lock(a);
    pthread_mutex_lock(b);
    pthread_mutex_unlock(b);
    pthread_mutex_unlock(a);
    for (int i = 0; i < 60; i++) {
        xss_hits++; /* <svg/onload=alert(4)> @race_ab */
        usleep(5 * 1000);
    }
    return arg;
}

static void *ba(void *arg)
{
    set_name("<svg onload=alert(2)>", "<b id=xs2>2</b>");
    usleep(100 * 1000);
    for (int i = 0; i < 60; i++) {
        xss_hits += 2; /* </pre><script>alert(5)</script> @race_ba */
        usleep(5 * 1000);
    }
    pthread_mutex_lock(b);
    pthread_mutex_lock(a);
    pthread_mutex_unlock(a);
    pthread_mutex_unlock(b);
    return arg;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    a = malloc(sizeof *a);
    b = malloc(sizeof *b);
    pthread_mutex_init(a, NULL);
    pthread_mutex_init(b, NULL);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, ab, NULL);
    pthread_create(&t2, NULL, ba, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("xss program done: %ld\n", xss_hits);
    return 0;
}
