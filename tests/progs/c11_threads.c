/* C11 threads (threads.h): glibc implements them without going through the
 * pthread entry points, so lockscope wraps them itself.  Three threads:
 * two take mtx_t locks in opposite orders (a lock-order cycle), and one
 * updates `total` without any lock (a race with the others' locked
 * updates); call_once runs the setup, cnd_* hand over a ready flag. */
#include <stdio.h>
#include <threads.h>
#include <unistd.h>

mtx_t noodle_lock, fork_lock, ready_lock;
cnd_t ready_cv;
once_flag setup_once = ONCE_FLAG_INIT;
int total, ready;

static void setup(void)
{
    mtx_init(&noodle_lock, mtx_plain);
    mtx_init(&fork_lock, mtx_plain);
}

static int eat1(void *arg)
{
    call_once(&setup_once, setup);
    mtx_lock(&noodle_lock); /* @eat1_noodle */
    mtx_lock(&fork_lock);   /* @eat1_fork */
    total++;
    mtx_unlock(&fork_lock);
    mtx_unlock(&noodle_lock);
    return 1;
}

static int eat2(void *arg)
{
    call_once(&setup_once, setup);
    mtx_lock(&ready_lock);
    while (!ready)
        cnd_wait(&ready_cv, &ready_lock);
    mtx_unlock(&ready_lock);
    mtx_lock(&fork_lock);   /* @eat2_fork */
    mtx_lock(&noodle_lock); /* @eat2_noodle */
    total++;
    mtx_unlock(&noodle_lock);
    mtx_unlock(&fork_lock);
    return 2;
}

static int racer(void *arg)
{
    usleep(20 * 1000);
    total += 10; /* @race */
    return 3;
}

int main(void)
{
    mtx_init(&ready_lock, mtx_plain);
    cnd_init(&ready_cv);
    thrd_t a, b, c;
    thrd_create(&a, eat1, NULL);
    thrd_create(&b, eat2, NULL);
    thrd_create(&c, racer, NULL);
    usleep(100 * 1000);
    mtx_lock(&ready_lock);
    ready = 1;
    cnd_signal(&ready_cv);
    mtx_unlock(&ready_lock);
    int ra, rb, rc;
    thrd_join(a, &ra);
    thrd_join(b, &rb);
    thrd_join(c, &rc);
    printf("%d %d %d\n", ra, rb, rc);
    return 0;
}
