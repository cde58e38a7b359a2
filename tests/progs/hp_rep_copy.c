/* Two threads copy a record into the same buffer they were handed (a
 * struct assignment, which gcc makes `rep movsq`): a write/write race on
 * the heap block.  With "locked", the copies hold a mutex: clean. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

struct record {
    long words[40];
};

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int locked;

static void *work(void *p)
{
    struct record *out = p;
    struct record mine;
    for (int i = 0; i < 40; i++)
        mine.words[i] = i * (long)(uintptr_t)&mine;
    int lk = locked; /* read once: the loop is about the shared memory */
    for (int k = 0; k < 500000; k++) {
        if (lk)
            pthread_mutex_lock(&m);
        memcpy(out, &mine, sizeof mine); /* @write */
        if (lk)
            pthread_mutex_unlock(&m);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    locked = argc > 1 && !strcmp(argv[1], "locked");
    struct record *buf = malloc(sizeof *buf);
    memset(buf, 0, sizeof *buf);
    pthread_t a, b;
    pthread_create(&a, NULL, work, buf);
    pthread_create(&b, NULL, work, buf);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", buf->words[0] >= 0 || 1);
    free(buf);
    return 0;
}
