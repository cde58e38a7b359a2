/* A mutex initialized by one thread while another uses it, with nothing
 * between them (only time: a sleep orders nothing).
 * usage: sl_init_race init-first|use-first
 *   init-first: main initializes `m` while T1 sleeps, then T1 locks it;
 *   use-first:  T1 locks and unlocks `m` (statically initialized), then main
 *               initializes it again while T1 sleeps. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int use_first;

static void *user(void *arg)
{
    if (!use_first)
        usleep(100 * 1000);
    pthread_mutex_lock(&m); /* @use */
    pthread_mutex_unlock(&m);
    if (use_first)
        usleep(200 * 1000);
    return arg;
}

int main(int argc, char **argv)
{
    use_first = argc > 1 && !strcmp(argv[1], "use-first");
    pthread_t t;
    pthread_create(&t, NULL, user, NULL);
    if (use_first)
        usleep(100 * 1000);
    pthread_mutex_init(&m, NULL); /* @init */
    pthread_join(t, NULL);
    pthread_mutex_destroy(&m);
    puts("done");
    return 0;
}
