/* N threads, all alive at once: thread i takes ring[i], then ring[i+1]
 * (the last one wraps to ring[0]): one lock-order cycle through all N
 * mutexes.  The threads take their turns one after another (semaphores),
 * so this run does not hang; another schedule deadlocks.
 *
 * usage: lo2_ring N   (2 <= N <= 100) */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX 100

pthread_mutex_t ring[MAX];
static sem_t turn[MAX + 1];
static int n;

static void *link_of_ring(void *arg)
{
    int i = (int)(long)arg;
    sem_wait(&turn[i]);
    pthread_mutex_lock(&ring[i]);
    pthread_mutex_lock(&ring[(i + 1) % n]);
    pthread_mutex_unlock(&ring[(i + 1) % n]);
    pthread_mutex_unlock(&ring[i]);
    sem_post(&turn[i + 1]);
    return NULL;
}

int main(int argc, char **argv)
{
    n = argc > 1 ? atoi(argv[1]) : 5;
    if (n < 2 || n > MAX)
        return 2;
    pthread_t t[MAX];
    for (int i = 0; i < n; i++) {
        pthread_mutex_init(&ring[i], NULL);
        sem_init(&turn[i], 0, 0);
    }
    sem_init(&turn[n], 0, 0);
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, link_of_ring, (void *)(long)i);
    sem_post(&turn[0]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("ring of %d\n", n);
    return 0;
}
