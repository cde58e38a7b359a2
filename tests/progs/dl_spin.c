/* Two spinlocks taken in opposite orders by two threads that both hold
 * their first one: they spin for each other forever. */
#include <pthread.h>

pthread_spinlock_t spin_x, spin_y;
static pthread_barrier_t both_hold;

static void *xy(void *arg)
{
    pthread_spin_lock(&spin_x);
    pthread_barrier_wait(&both_hold);
    pthread_spin_lock(&spin_y);
    pthread_spin_unlock(&spin_y);
    pthread_spin_unlock(&spin_x);
    return arg;
}

static void *yx(void *arg)
{
    pthread_spin_lock(&spin_y);
    pthread_barrier_wait(&both_hold);
    pthread_spin_lock(&spin_x);
    pthread_spin_unlock(&spin_x);
    pthread_spin_unlock(&spin_y);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_spin_init(&spin_x, PTHREAD_PROCESS_PRIVATE);
    pthread_spin_init(&spin_y, PTHREAD_PROCESS_PRIVATE);
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, xy, NULL);
    pthread_create(&b, NULL, yx, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
