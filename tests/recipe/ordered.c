/* Two threads take the same two locks, always in the same order. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t accounts = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static long balance;

static void *transfer(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&accounts);
        pthread_mutex_lock(&journal);
        balance += (long)arg;
        pthread_mutex_unlock(&journal);
        pthread_mutex_unlock(&accounts);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, transfer, (void *)1L);
    pthread_create(&b, NULL, transfer, (void *)-1L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("balance %ld\n", balance);
    return balance != 0;
}
