/* The main thread holds config_lock and joins the worker; the worker needs
 * config_lock to finish.  Each waits for the other forever. */
#include <pthread.h>
#include <unistd.h>

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    usleep(50 * 1000);
    pthread_mutex_lock(&config_lock);
    pthread_mutex_unlock(&config_lock);
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&config_lock);
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    pthread_mutex_unlock(&config_lock);
    return 0;
}
