/* A heap block is handed to T1, which writes it and frees it; its memory
 * then comes back from malloc in T2 (one arena: glibc hands the freed
 * chunk out again), which writes it and hands it to T3.  Nothing orders T1
 * with T2 or T3, but the two blocks are different objects at one address:
 * clean.  Prints whether the memory really was reused. */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct cell {
    long value;
    long pad[5];
};

static struct cell *first;

static void *t1(void *p)
{
    volatile struct cell *c = p;
    for (int k = 0; k < 2000000; k++)
        c->value += k; /* @old */
    free(p);
    return NULL;
}

static void *t3(void *p)
{
    volatile struct cell *c = p;
    for (int k = 0; k < 2000000; k++)
        c->value += k; /* @new3 */
    return NULL;
}

static void *t2(void *p)
{
    (void)p;
    /* T1 is finished (its tcache went back to the arena when it ended):
     * learnt from /proc, which orders nothing. */
    for (int i = 0; i < 2000; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%ld", (long)p);
        if (access(path, F_OK) != 0)
            break;
        usleep(1000);
    }
    struct cell *c = malloc(sizeof *c);
    for (int k = 0; k < 2000000; k++)
        ((volatile struct cell *)c)->value = k; /* @new2 */
    pthread_t x;
    pthread_create(&x, NULL, t3, c);
    pthread_join(x, NULL);
    printf("reused %d\n", c == first);
    free(c);
    return NULL;
}

static _Atomic long t1_tid;

static void *t1_start(void *p)
{
    t1_tid = gettid();
    return t1(p);
}

int main(void)
{
    mallopt(M_ARENA_MAX, 1);
    first = malloc(sizeof *first);
    first->value = 0;
    pthread_t a, b;
    pthread_create(&a, NULL, t1_start, first);
    while (!t1_tid)
        usleep(100);
    pthread_create(&b, NULL, t2, (void *)t1_tid);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
