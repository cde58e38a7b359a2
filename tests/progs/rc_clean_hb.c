/* Shared globals handed from thread to thread only through proper
 * synchronization; every pair of accesses is ordered.  Nothing to report.
 *  - written before pthread_create, read in the child;
 *  - written in a child, read after pthread_join;
 *  - a queue protected by a mutex and condvars;
 *  - a hand-off through sem_post / sem_wait;
 *  - barrier phases: each phase reads what the previous one wrote;
 *  - pthread_once initialization read by every thread. */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

long config_value;            /* before create -> child */
long child_result;            /* child -> after join */
long queue_slot;              /* condvar queue */
int queue_full;
pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
long sem_payload;             /* sem hand-off */
sem_t sem_ready;
long phase_data[4];           /* barrier phases */
pthread_barrier_t phase_barrier;
long once_table;              /* pthread_once */
pthread_once_t once_ctl = PTHREAD_ONCE_INIT;
long spin_data;               /* under a spinlock */
pthread_spinlock_t spin;
long rw_data;                 /* written under the write lock, read under read locks */
pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
pthread_barrier_t rw_start;   /* the writer and the reader begin together */

static void *spin_and_rw(void *arg)
{
    long seen = 0;
    pthread_barrier_wait(&rw_start);
    for (int i = 0; i < 200; i++) {
        pthread_spin_lock(&spin);
        long v = spin_data; /* a separate read and write, not one add to memory */
        sched_yield();
        spin_data = v + 1;
        pthread_spin_unlock(&spin);
        if (arg) {
            pthread_rwlock_wrlock(&rw);
            rw_data = i;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            seen += rw_data;
            pthread_rwlock_unlock(&rw);
        }
    }
    return (void *)seen;
}

static void *reads_config(void *arg)
{
    child_result = config_value * 2;
    return arg;
}

static void *producer(void *arg)
{
    for (int i = 1; i <= 50; i++) {
        pthread_mutex_lock(&qm);
        while (queue_full)
            pthread_cond_wait(&qcv, &qm);
        queue_slot = i;
        queue_full = 1;
        pthread_cond_broadcast(&qcv);
        pthread_mutex_unlock(&qm);
    }
    return arg;
}

static void *consumer(void *arg)
{
    long sum = 0;
    for (int i = 1; i <= 50; i++) {
        pthread_mutex_lock(&qm);
        while (!queue_full)
            pthread_cond_wait(&qcv, &qm);
        sum += queue_slot;
        queue_full = 0;
        pthread_cond_broadcast(&qcv);
        pthread_mutex_unlock(&qm);
    }
    return (void *)sum;
}

static void *sem_producer(void *arg)
{
    usleep(10 * 1000);
    sem_payload = 42;
    sem_post(&sem_ready);
    return arg;
}

static void *phased(void *arg)
{
    long id = (long)arg;
    for (int p = 0; p < 3; p++) {
        long v = phase_data[(id + 1) % 4]; /* read the neighbour's last value ... */
        pthread_barrier_wait(&phase_barrier);
        phase_data[id] = v + p;            /* ... then, in the next phase, write ours */
        pthread_barrier_wait(&phase_barrier);
    }
    return NULL;
}

static void init_table(void)
{
    once_table = 7;
}

static void *uses_once(void *arg)
{
    pthread_once(&once_ctl, init_table);
    return (void *)once_table;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    pthread_t t, u, w[4];
    /* A first thread, so that watching has begun (it starts with the
     * program's first thread) when config_value is written. */
    pthread_create(&t, NULL, nothing, NULL);
    pthread_join(t, NULL);
    config_value = 21;
    pthread_create(&t, NULL, reads_config, NULL);
    pthread_join(t, NULL);
    printf("child %ld\n", child_result);

    void *sum;
    pthread_create(&t, NULL, producer, NULL);
    pthread_create(&u, NULL, consumer, NULL);
    pthread_join(t, NULL);
    pthread_join(u, &sum);
    printf("queue %ld\n", (long)sum);

    sem_init(&sem_ready, 0, 0);
    pthread_create(&t, NULL, sem_producer, NULL);
    sem_wait(&sem_ready);
    printf("sem %ld\n", sem_payload);
    pthread_join(t, NULL);

    pthread_barrier_init(&phase_barrier, NULL, 4);
    for (long i = 0; i < 4; i++)
        pthread_create(&w[i], NULL, phased, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(w[i], NULL);

    for (int i = 0; i < 4; i++)
        pthread_create(&w[i], NULL, uses_once, NULL);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        void *v;
        pthread_join(w[i], &v);
        total += (long)v;
    }
    printf("once %ld\n", total);

    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    pthread_barrier_init(&rw_start, NULL, 2);
    pthread_create(&t, NULL, spin_and_rw, (void *)1);
    pthread_create(&u, NULL, spin_and_rw, NULL);
    pthread_join(t, NULL);
    pthread_join(u, NULL);
    printf("spin %ld rw %ld\n", spin_data, rw_data);
    return 0;
}
