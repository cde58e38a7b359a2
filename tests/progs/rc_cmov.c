/* `if (c > 5) r = g;` compiles, at -O1, to a cmovg that loads g whatever
 * c is: with c never above 5 the program never reads g, and the writer
 * needs no lock.  The loads the processor makes are no reads of the
 * program's: nothing to report. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int g;

__attribute__((noinline)) static int pick(int c, int r)
{
    if (c > 5) /* @cmov */
        r = g;
    return r;
}

static void *writer(void *arg)
{
    for (int i = 0; i < 2000; i++) {
        g = i; /* @write */
        usleep(10);
    }
    return arg;
}

static void *chooser(void *arg)
{
    long sum = 0;
    for (int i = 0; i < 2000; i++) {
        sum += pick(i % 5, i); /* c is 0..4: g is never chosen */
        usleep(10);
    }
    return (void *)sum;
}

int main(void)
{
    pthread_t a, b;
    void *sum;
    pthread_create(&a, NULL, writer, NULL);
    pthread_create(&b, NULL, chooser, NULL);
    pthread_join(b, &sum);
    pthread_join(a, NULL);
    printf("%ld\n", (long)sum);
    return 0;
}
