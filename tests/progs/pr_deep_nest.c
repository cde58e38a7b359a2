/* Two threads take 200 locks in order and release them, 20 rounds each:
 * past the shim's bound on held locks (128) in every round.  The shim warns
 * once, and notes it once, for the whole process.  No cycle. */
#include <pthread.h>
#include <stdio.h>

#define DEPTH 200
pthread_mutex_t level[DEPTH];

static void *nest(void *arg)
{
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < DEPTH; i++)
            pthread_mutex_lock(&level[i]);
        for (int i = DEPTH; i-- > 0;)
            pthread_mutex_unlock(&level[i]);
    }
    return arg;
}

int main(void)
{
    for (int i = 0; i < DEPTH; i++)
        pthread_mutex_init(&level[i], NULL);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, nest, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    puts("nested 200 deep");
    return 0;
}
