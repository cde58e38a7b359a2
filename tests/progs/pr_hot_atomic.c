/* A hot _Atomic counter beside a real race on `plain`.  The counter is
 * bumped millions of times, so the rate limit sets its watchpoint aside
 * most of the time; that must not stop races from being judged.
 *   after:    the counter is hot first; the two writers race on `plain`
 *             once its threads are done: the race is judged, and found.
 *   together: the writers race while the counter is hot: what cannot be
 *             judged is said in the report (or the race is found).
 *   clean:    as after, but the writers take a lock: nothing to report,
 *             and `plain` sampled. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

atomic_long ticks;
long plain;
pthread_mutex_t plain_lock = PTHREAD_MUTEX_INITIALIZER;

static int locked;
static atomic_int stop;

static void *hot(void *arg)
{
    for (long i = 0; i < 3000000 && !atomic_load_explicit(&stop, memory_order_relaxed); i++)
        atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed);
    return arg;
}

static void *writer(void *arg)
{
    long me = (long)arg;
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 150; i++) {
        if (locked)
            pthread_mutex_lock(&plain_lock);
        plain = me * 1000 + i; /* @write */
        if (locked)
            pthread_mutex_unlock(&plain_lock);
        nanosleep(&ms, NULL);
    }
    return arg;
}

static void writers(void)
{
    pthread_t w[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&w[i], NULL, writer, (void *)(i + 1));
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "after";
    locked = !strcmp(mode, "clean");
    pthread_t h[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&h[i], NULL, hot, NULL);
    if (!strcmp(mode, "together")) {
        writers();
        atomic_store(&stop, 1);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(h[i], NULL);
    if (strcmp(mode, "together"))
        writers();
    printf("%s: ticks %s, plain %s\n", mode, ticks > 0 ? "counted" : "none",
           plain % 1000 == 149 ? "last" : "?");
    return 0;
}
