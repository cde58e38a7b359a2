/* A thread fills the buffer it was handed with a struct copy (`rep movsq`)
 * while main reads a field of it: a race on the heap block.  With "joined",
 * main reads after the join: clean. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct message {
    long header;
    long body[39];
};

static void *fill(void *p)
{
    struct message *out = p;
    struct message m;
    for (int i = 0; i < 39; i++)
        m.body[i] = i;
    for (int k = 0; k < 1000000; k++) {
        m.header = k;
        memcpy(out, &m, sizeof m); /* @write */
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int joined = argc > 1 && !strcmp(argv[1], "joined");
    struct message *buf = calloc(1, sizeof *buf);
    pthread_t t;
    pthread_create(&t, NULL, fill, buf);
    long seen = 0;
    if (!joined)
        for (int k = 0; k < 2000000; k++)
            seen += ((volatile struct message *)buf)->header; /* @read */
    pthread_join(t, NULL);
    seen += buf->header;
    printf("%d\n", seen >= 0);
    free(buf);
    return 0;
}
