/* Two threads call into a shared library that updates its own global
 * without a lock: a race in the library's data, found with watch_libs=1. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

void lib_hit(void);

static void *caller(void *arg)
{
    usleep(20 * 1000);
    lib_hit();
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, caller, NULL);
    pthread_create(&b, NULL, caller, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    puts("done");
    return 0;
}
