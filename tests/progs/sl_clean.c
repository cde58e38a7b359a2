/* Correct lifetimes of sync objects: nothing may be reported, in any run.
 * usage: sl_clean ordered|reinit|reuse|static|handoff|fork|serial
 *   ordered: init by main -> pthread_create -> use -> join -> destroy, for a
 *            mutex, rwlock, condvar, barrier and semaphore;
 *   reinit:  the same objects initialized again once everybody joined, and
 *            used by new threads;
 *   reuse:   objects on the heap, destroyed and freed, then a new block (the
 *            same memory, as malloc gives it back) initialized by the same
 *            thread and used by new threads; and a destroy then a new init of
 *            the same address by one thread;
 *   static:  PTHREAD_*_INITIALIZER objects used at once by several threads
 *            (no init call: the first use is no race);
 *   handoff: a heap object initialized by one thread, passed to another
 *            through a mutex-protected slot, used and destroyed there;
 *   fork:    a child forked while another thread uses the mutex uses it,
 *            initializes it again and hands it to a thread of its own. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4

struct objs {
    pthread_mutex_t m;
    pthread_rwlock_t rw;
    pthread_cond_t cv;
    pthread_barrier_t bar;
    sem_t sem;
    int ready, count;
};

static struct objs g;

static void init_all(struct objs *o)
{
    pthread_mutex_init(&o->m, NULL);
    pthread_rwlock_init(&o->rw, NULL);
    pthread_cond_init(&o->cv, NULL);
    pthread_barrier_init(&o->bar, NULL, THREADS);
    sem_init(&o->sem, 0, 0);
    o->ready = 0;
    o->count = 0;
}

static void destroy_all(struct objs *o)
{
    pthread_mutex_destroy(&o->m);
    pthread_rwlock_destroy(&o->rw);
    pthread_cond_destroy(&o->cv);
    pthread_barrier_destroy(&o->bar);
    sem_destroy(&o->sem);
}

static void *use_all(void *arg)
{
    struct objs *o = arg;
    pthread_barrier_wait(&o->bar);
    pthread_mutex_lock(&o->m);
    o->count++;
    if (o->count == THREADS) {
        o->ready = 1;
        pthread_cond_broadcast(&o->cv);
    }
    while (!o->ready)
        pthread_cond_wait(&o->cv, &o->m);
    pthread_mutex_unlock(&o->m);
    pthread_rwlock_rdlock(&o->rw);
    pthread_rwlock_unlock(&o->rw);
    pthread_rwlock_wrlock(&o->rw);
    pthread_rwlock_unlock(&o->rw);
    sem_post(&o->sem);
    sem_wait(&o->sem);
    pthread_mutex_trylock(&o->m) == 0 ? pthread_mutex_unlock(&o->m) : 0;
    return NULL;
}

static void round_of(struct objs *o)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, use_all, o);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
}

static void reuse(void)
{
    for (int i = 0; i < 5; i++) {
        struct objs *o = malloc(sizeof *o);
        init_all(o);
        round_of(o);
        destroy_all(o);
        /* the same memory again: a destroy, then a new init by this thread */
        init_all(o);
        round_of(o);
        destroy_all(o);
        free(o);
    }
}

static pthread_mutex_t sm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t scv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t srw = PTHREAD_RWLOCK_INITIALIZER;
static int sready;

static void *use_static(void *arg)
{
    pthread_rwlock_rdlock(&srw);
    pthread_rwlock_unlock(&srw);
    pthread_mutex_lock(&sm);
    if (arg) {
        sready = 1;
        pthread_cond_broadcast(&scv);
    }
    while (!sready)
        pthread_cond_wait(&scv, &sm);
    pthread_mutex_unlock(&sm);
    return NULL;
}

static void statics(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, use_static, i == THREADS - 1 ? (void *)1 : NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
}

/* handoff: one slot, guarded by slot_m */
static pthread_mutex_t slot_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cv = PTHREAD_COND_INITIALIZER;
static struct objs *slot;
static int slot_done;

static void *taker(void *arg)
{
    for (int i = 0; i < 20; i++) {
        pthread_mutex_lock(&slot_m);
        while (!slot)
            pthread_cond_wait(&slot_cv, &slot_m);
        struct objs *o = slot;
        slot = NULL;
        pthread_cond_broadcast(&slot_cv);
        pthread_mutex_unlock(&slot_m);
        pthread_mutex_lock(&o->m);
        o->count++;
        pthread_mutex_unlock(&o->m);
        sem_post(&o->sem);
        sem_wait(&o->sem);
        pthread_mutex_destroy(&o->m);
        sem_destroy(&o->sem);
        free(o);
    }
    pthread_mutex_lock(&slot_m);
    slot_done = 1;
    pthread_mutex_unlock(&slot_m);
    return arg;
}

static void handoff(void)
{
    pthread_t t;
    pthread_create(&t, NULL, taker, NULL);
    for (int i = 0; i < 20; i++) {
        struct objs *o = malloc(sizeof *o);
        pthread_mutex_init(&o->m, NULL);
        sem_init(&o->sem, 0, 0);
        o->count = 0;
        pthread_mutex_lock(&slot_m);
        while (slot)
            pthread_cond_wait(&slot_cv, &slot_m);
        slot = o;
        pthread_cond_broadcast(&slot_cv);
        pthread_mutex_unlock(&slot_m);
    }
    pthread_join(t, NULL);
}

static int stop; /* under g.m */

static void *spinner(void *arg)
{
    for (int done = 0; !done;) {
        pthread_mutex_lock(&g.m);
        g.count++;
        done = stop;
        pthread_mutex_unlock(&g.m);
        usleep(100);
    }
    return arg;
}

static void *child_user(void *arg)
{
    pthread_mutex_lock(&g.m);
    pthread_mutex_unlock(&g.m);
    return arg;
}

static void forked(void)
{
    pthread_mutex_init(&g.m, NULL);
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    usleep(5000);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_init(&g.m, NULL); /* the parent's other thread is gone */
        pthread_mutex_lock(&g.m);
        pthread_mutex_unlock(&g.m);
        pthread_t c;
        pthread_create(&c, NULL, child_user, NULL);
        pthread_join(c, NULL);
        pthread_mutex_destroy(&g.m);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pthread_mutex_lock(&g.m);
    stop = 1;
    pthread_mutex_unlock(&g.m);
    pthread_join(t, NULL);
    pthread_mutex_destroy(&g.m);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "ordered")) {
        init_all(&g);
        round_of(&g);
        destroy_all(&g);
    } else if (!strcmp(mode, "reinit")) {
        for (int i = 0; i < 5; i++) {
            init_all(&g);
            round_of(&g);
        }
        destroy_all(&g);
    } else if (!strcmp(mode, "reuse")) {
        reuse();
    } else if (!strcmp(mode, "static")) {
        statics();
    } else if (!strcmp(mode, "handoff")) {
        handoff();
    } else if (!strcmp(mode, "fork")) {
        forked();
    } else {
        fprintf(stderr, "usage: sl_clean ordered|reinit|reuse|static|handoff|fork\n");
        return 2;
    }
    puts("done");
    return 0;
}
