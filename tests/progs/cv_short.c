/* A short test-like process: two threads update twelve globals under one
 * mutex (clean) and exit within a few milliseconds.  A suite runs it
 * hundreds of times: each run should watch its own part of the globals. */
#include <pthread.h>
#include <stdio.h>

long g00, g01, g02, g03, g04, g05, g06, g07, g08, g09, g10, g11;
static long *const all[] = {&g00, &g01, &g02, &g03, &g04, &g05,
                            &g06, &g07, &g08, &g09, &g10, &g11};
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg)
{
    (void)arg;
    for (int round = 0; round < 5; round++)
        for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
            pthread_mutex_lock(&m);
            (*all[i])++;
            pthread_mutex_unlock(&m);
        }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, work, NULL);
    pthread_create(&b, NULL, work, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    long sum = 0;
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        sum += *all[i];
    printf("%ld\n", sum);
    return 0;
}
