/* Locks laid out the ways that crowd a lock table: 65,536 spinlocks side by
 * side (two to every 8-byte word) and 64 mutexes exactly 8 MB apart.  Each
 * is taken once in the main thread; then one of each closes a cycle between
 * two threads, so the report shows both were tracked, and no lock may be
 * left out for want of room. */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define NSPIN 65536
#define NSTRIDE 64
#define STRIDE (8ul << 20)

pthread_spinlock_t spins[NSPIN];
static char *region;

static pthread_mutex_t *strided(int i)
{
    return (pthread_mutex_t *)(region + (unsigned long)i * STRIDE);
}

static void *forward(void *arg)
{
    (void)arg;
    pthread_mutex_lock(strided(NSTRIDE - 1)); /* @mutex_first */
    pthread_spin_lock(&spins[NSPIN - 1]);     /* @spin_second */
    pthread_spin_unlock(&spins[NSPIN - 1]);
    pthread_mutex_unlock(strided(NSTRIDE - 1));
    return NULL;
}

static void *backward(void *arg)
{
    (void)arg;
    usleep(100 * 1000); /* after forward: the run completes */
    pthread_spin_lock(&spins[NSPIN - 1]);     /* @spin_first */
    pthread_mutex_lock(strided(NSTRIDE - 1)); /* @mutex_second */
    pthread_mutex_unlock(strided(NSTRIDE - 1));
    pthread_spin_unlock(&spins[NSPIN - 1]);
    return NULL;
}

int main(void)
{
    region = mmap(NULL, NSTRIDE * STRIDE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    for (int i = 0; i < NSTRIDE; i++)
        pthread_mutex_init(strided(i), NULL);
    for (int i = 0; i < NSPIN; i++)
        pthread_spin_init(&spins[i], PTHREAD_PROCESS_PRIVATE);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < NSPIN; i++) {
            pthread_spin_lock(&spins[i]);
            pthread_spin_unlock(&spins[i]);
        }
        for (int i = 0; i < NSTRIDE; i++) {
            pthread_mutex_lock(strided(i));
            pthread_mutex_unlock(strided(i));
        }
    }
    pthread_t a, b;
    pthread_create(&a, NULL, forward, NULL);
    pthread_create(&b, NULL, backward, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    puts("done");
    return 0;
}
