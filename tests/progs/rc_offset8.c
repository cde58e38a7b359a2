/* A race at offset 8 of a 16-byte global: two threads bump range.hi
 * without a lock, while range.lo is only read.  Reported on range.hi. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

struct {
    long lo;
    long hi;
} range = {0, 100};

static void *grow(void *arg)
{
    long seen = 0;
    for (int i = 0; i < 200; i++) {
        seen += range.lo;
        range.hi++; /* @hi */
        usleep(50);
    }
    return (void *)seen;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, grow, NULL);
    pthread_create(&b, NULL, grow, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%ld\n", range.hi > 100 ? 1L : 0L);
    return 0;
}
