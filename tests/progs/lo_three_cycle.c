/* Three threads, three locks, one cycle a -> b -> c -> a.  Each thread
 * starts a little later than the previous one, so the run completes. */
#include <pthread.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;

struct pair { pthread_mutex_t *first, *second; int delay_ms; };

static void *take_two(void *arg)
{
    struct pair *p = arg;
    usleep(p->delay_ms * 1000);
    pthread_mutex_lock(p->first);  /* @first */
    pthread_mutex_lock(p->second); /* @second */
    pthread_mutex_unlock(p->second);
    pthread_mutex_unlock(p->first);
    return NULL;
}

int main(void)
{
    struct pair ps[3] = {{&lock_a, &lock_b, 0}, {&lock_b, &lock_c, 100}, {&lock_c, &lock_a, 200}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, take_two, &ps[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    return 0;
}
