/*
 * Reproducer: a lock-order cycle that cannot deadlock, reported anyway.
 *   T1: gate, then a_lock, then b_lock      edge a_lock -> b_lock, holding gate
 *   T2: gate, then b_lock, then c_lock      edge b_lock -> c_lock, holding gate
 *   T3: c_lock, then a_lock                 edge c_lock -> a_lock
 * The cycle a_lock -> b_lock -> c_lock -> a_lock needs T1 and T2 inside it at
 * once, both holding gate: impossible, so no interleaving deadlocks.  The
 * gate is held by two of the three edges, not all three: a gate check that
 * looks for a lock common to ALL edges (lockscope's, until 661f562) reports
 * it; the check has to be pairwise (two edges whose held sets share a lock
 * cannot both be in one deadlock; GoodLock).  Expected: status 0, no
 * finding.  (The same false cycles came with locks nested in one order:
 * `scale_nested 4 reversed` gave 3 cycles, of which only the 2-lock one is
 * real.)
 */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t c_lock = PTHREAD_MUTEX_INITIALIZER;

static void *t1(void *arg)
{
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&a_lock);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_unlock(&b_lock);
    pthread_mutex_unlock(&a_lock);
    pthread_mutex_unlock(&gate);
    return arg;
}

static void *t2(void *arg)
{
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_lock(&c_lock);
    pthread_mutex_unlock(&c_lock);
    pthread_mutex_unlock(&b_lock);
    pthread_mutex_unlock(&gate);
    return arg;
}

static void *t3(void *arg)
{
    pthread_mutex_lock(&c_lock);
    pthread_mutex_lock(&a_lock);
    pthread_mutex_unlock(&a_lock);
    pthread_mutex_unlock(&c_lock);
    return arg;
}

int main(void)
{
    pthread_t a, b, c;
    pthread_create(&a, NULL, t1, NULL);
    pthread_create(&b, NULL, t2, NULL);
    pthread_create(&c, NULL, t3, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_join(c, NULL);
    printf("done\n");
    return 0;
}
