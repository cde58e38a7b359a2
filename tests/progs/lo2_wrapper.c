/* Two bugs through one thin wrapper: caller_one and caller_two each unlock
 * a mutex they never locked, both through my_unlock().  Two findings, two
 * ids, and the suppression suggested for one does not hide the other. */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t lock_one = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_two = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void my_unlock(pthread_mutex_t *m)
{
    pthread_mutex_unlock(m);
}

static unsigned long total;

/* Callers with work of their own: not wrappers. */
__attribute__((noinline)) static void caller_one(int n)
{
    for (int i = 0; i < n; i++)
        total = total * 31 + (unsigned long)i;
    if (total % 7 == 3)
        printf("one %lu\n", total);
    my_unlock(&lock_one); /* @one */
}

__attribute__((noinline)) static void caller_two(int n)
{
    for (int i = 0; i < n; i++)
        total = total * 17 + (unsigned long)i;
    if (total % 5 == 2)
        printf("two %lu\n", total);
    my_unlock(&lock_two); /* @two */
}

int main(void)
{
    caller_one(10);
    caller_two(20);
    puts("done");
    return 0;
}
