/* Everyday synchronization that must come out clean: a condvar-protected
 * queue (producer/consumer), a semaphore hand-off, barrier phases, readers
 * and writers in one consistent order, a spinlock counter, a lock held
 * across a condvar wait (same order everywhere), and a waiter that is
 * cancelled while it waits. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

#define ITEMS 2000

pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER;
pthread_cond_t nonfull = PTHREAD_COND_INITIALIZER;
static int queue[16], qhead, qlen;
static long consumed;

static void *producer(void *arg)
{
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (qlen == 16)
            pthread_cond_wait(&nonfull, &qlock);
        queue[(qhead + qlen++) % 16] = i;
        pthread_cond_signal(&nonempty);
        pthread_mutex_unlock(&qlock);
    }
    return arg;
}

static void *consumer(void *arg)
{
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (qlen == 0)
            pthread_cond_wait(&nonempty, &qlock);
        consumed += queue[qhead];
        qhead = (qhead + 1) % 16;
        qlen--;
        pthread_cond_signal(&nonfull);
        pthread_mutex_unlock(&qlock);
    }
    return arg;
}

static sem_t handoff;
static int payload;

static void *sem_giver(void *arg)
{
    usleep(20 * 1000);
    payload = 42;
    sem_post(&handoff);
    return arg;
}

static pthread_barrier_t phase;
pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t stats = PTHREAD_MUTEX_INITIALIZER;
pthread_spinlock_t spin;
static long spin_count;

static void *phased(void *arg)
{
    for (int p = 0; p < 3; p++) {
        pthread_rwlock_rdlock(&table);
        pthread_mutex_lock(&stats);
        pthread_mutex_unlock(&stats);
        pthread_rwlock_unlock(&table);
        pthread_spin_lock(&spin);
        spin_count++;
        pthread_spin_unlock(&spin);
        pthread_barrier_wait(&phase);
    }
    pthread_rwlock_wrlock(&table);
    pthread_mutex_lock(&stats);
    pthread_mutex_unlock(&stats);
    pthread_rwlock_unlock(&table);
    return arg;
}

pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t inner_cv = PTHREAD_COND_INITIALIZER;
static int inner_flag;

static void *waits_holding_outer(void *arg)
{
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&inner);
    while (!inner_flag)
        pthread_cond_wait(&inner_cv, &inner);
    pthread_mutex_unlock(&inner);
    pthread_mutex_unlock(&outer);
    return arg;
}

static void *cancelled_waiter(void *arg)
{
    pthread_mutex_lock(&qlock);
    pthread_cleanup_push((void (*)(void *))pthread_mutex_unlock, &qlock);
    for (;;)
        pthread_cond_wait(&nonempty, &qlock);
    pthread_cleanup_pop(1);
    return arg;
}

int main(void)
{
    pthread_t p, c, g, w[3], o, x;
    pthread_create(&p, NULL, producer, NULL);
    pthread_create(&c, NULL, consumer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);

    sem_init(&handoff, 0, 0);
    pthread_create(&g, NULL, sem_giver, NULL);
    sem_wait(&handoff);
    pthread_join(g, NULL);

    pthread_barrier_init(&phase, NULL, 3);
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    for (int i = 0; i < 3; i++)
        pthread_create(&w[i], NULL, phased, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(w[i], NULL);

    pthread_create(&o, NULL, waits_holding_outer, NULL);
    usleep(50 * 1000);
    pthread_mutex_lock(&inner);
    inner_flag = 1;
    pthread_cond_signal(&inner_cv);
    pthread_mutex_unlock(&inner);
    pthread_join(o, NULL);

    pthread_create(&x, NULL, cancelled_waiter, NULL);
    usleep(50 * 1000);
    pthread_cancel(x);
    pthread_join(x, NULL);

    printf("%ld %d %ld\n", consumed, payload, spin_count);
    return 0;
}
