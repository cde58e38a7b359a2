/* Two threads write the same global without a lock: a write-write race. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long last_seen;

static void *stamp(void *arg)
{
    usleep(20 * 1000);
    last_seen = (long)arg; /* @write */
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, stamp, (void *)1);
    pthread_create(&b, NULL, stamp, (void *)2);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%s\n", last_seen ? "stamped" : "?");
    return 0;
}
