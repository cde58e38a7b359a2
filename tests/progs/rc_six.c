/* A program of about 20 ms with six globals: five handed from a producer
 * to a consumer correctly (a mutex and a condition variable), and the
 * last, bytes_sent, updated by both without a lock after each hand-off:
 * a race, on bytes_sent.  A young process rotates its watchpoints fast
 * enough that each of the six is watched while the program lives. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define PACKETS 40

long config = 64;
long header;
long payload;
int full;
long delivered;
long bytes_sent;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
    for (int i = 1; i <= PACKETS; i++) {
        pthread_mutex_lock(&m);
        while (full)
            pthread_cond_wait(&cv, &m);
        header = i;
        payload = i * config;
        full = 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&m);
        bytes_sent += config; /* @producer_bytes */
        usleep(400);
    }
    return arg;
}

static void *consumer(void *arg)
{
    long sum = 0;
    for (int i = 1; i <= PACKETS; i++) {
        pthread_mutex_lock(&m);
        while (!full)
            pthread_cond_wait(&cv, &m);
        sum += header + payload;
        full = 0;
        delivered++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&m);
        bytes_sent -= 8; /* @consumer_bytes */
        usleep(100);
    }
    return (void *)sum;
}

int main(void)
{
    pthread_t p, c;
    void *sum;
    pthread_create(&p, NULL, producer, NULL);
    pthread_create(&c, NULL, consumer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, &sum);
    printf("%ld %ld\n", (long)sum, delivered);
    return 0;
}
