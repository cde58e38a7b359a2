/* Fields of one struct, each written by its own thread without a lock:
 * different bytes, no race ("different").  With "same", two threads write
 * the same field, errors: a race, reported on stats.errors. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct stats { /* errors and retries share the first 8 bytes */
    int errors;
    short retries;
    char state;
    char flag;
    long requests;
};
struct stats stats;

static int same;

static void *count_requests(void *arg)
{
    for (int i = 0; i < 200; i++) {
        stats.requests++;
        usleep(50);
    }
    return arg;
}

static void *count_errors(void *arg)
{
    for (int i = 0; i < 200; i++) {
        stats.errors += 2; /* @errors */
        usleep(50);
    }
    return arg;
}

static void *count_retries(void *arg)
{
    for (int i = 0; i < 200; i++) {
        if (same)
            stats.errors++; /* @errors_again */
        else
            stats.retries++;
        stats.state = (char)i;
        usleep(50);
    }
    return arg;
}

int main(int argc, char **argv)
{
    same = argc > 1 && !strcmp(argv[1], "same");
    pthread_t t[3];
    pthread_create(&t[0], NULL, count_requests, NULL);
    pthread_create(&t[1], NULL, count_errors, NULL);
    pthread_create(&t[2], NULL, count_retries, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("%ld %s %d %d\n", stats.requests, same ? "?" : "ok", stats.retries, stats.state);
    return 0;
}
