/* A thread ends holding a lock, and the main thread exits the process
 * holding another: an exit-holding-locks and a held-at-process-exit
 * finding, with ids of their own (not those of lo2_ids_exit_a). */
#include <pthread.h>

pthread_mutex_t other_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t main_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker_other(void *arg)
{
    pthread_mutex_lock(&other_lock); /* @other */
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker_other, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&main_lock); /* @main_held */
    return 0;
}
