/* A lock held across a condition variable wait: the wait gives m_lock back
 * and takes it again while a_lock is held, so the order a_lock -> m_lock
 * exists although the thread first took m_lock, then a_lock.  One thread:
 * no deadlock in this run, but two threads running this code can deadlock
 * (a latent inversion); the JSON lock order shows both. */
#include <pthread.h>
#include <time.h>

pthread_mutex_t m_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

int main(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m_lock);
    pthread_mutex_lock(&a_lock);
    pthread_cond_timedwait(&cv, &m_lock, &ts);
    pthread_mutex_unlock(&a_lock);
    pthread_mutex_unlock(&m_lock);
    return 0;
}
