/* One byte written at S+5 while other threads read the bytes beside it,
 * S+4 and S+6, without a lock: different bytes, no race ("clean").  With
 * "race", a second thread also writes S+5: a race on S.b. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct {
    int id;
    char a, b, c, d;
} S;

static int race;

static void *write_b(void *arg)
{
    for (int i = 0; i < 300; i++) {
        S.b = (char)i; /* @write_b */
        usleep(30);
    }
    return arg;
}

static void *read_a(void *arg)
{
    long sum = 0;
    for (int i = 0; i < 300; i++) {
        if (race)
            S.b = (char)-i; /* @write_b_again */
        else
            sum += S.a;
        usleep(30);
    }
    return (void *)sum;
}

static void *read_c(void *arg)
{
    long sum = 0;
    for (int i = 0; i < 300; i++) {
        sum += S.c;
        usleep(30);
    }
    return (void *)sum;
}

int main(int argc, char **argv)
{
    race = argc > 1 && !strcmp(argv[1], "race");
    S.a = 1;
    S.c = 2;
    pthread_t t[3];
    pthread_create(&t[0], NULL, write_b, NULL);
    pthread_create(&t[1], NULL, read_a, NULL);
    pthread_create(&t[2], NULL, read_c, NULL);
    void *x, *y;
    pthread_join(t[0], NULL);
    pthread_join(t[1], &x);
    pthread_join(t[2], &y);
    printf("%ld %ld\n", (long)x, (long)y);
    return 0;
}
