/* Two threads write the same element of an int array on main's stack,
 * passed as their argument (a race on main's stack).  With "barrier", the
 * second writes only after the first is done, ordered by a barrier: clean. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_barrier_t turn;
static pthread_mutex_t ticket_lock = PTHREAD_MUTEX_INITIALIZER;
static int tickets, ordered;

static void *work(void *p)
{
    int *cells = p;
    pthread_mutex_lock(&ticket_lock);
    int me = tickets++;
    pthread_mutex_unlock(&ticket_lock);
    if (ordered && me == 1)
        pthread_barrier_wait(&turn);
    for (int k = 0; k < 20000000; k++) ((volatile int *)cells)[1] += 1; /* @write */
    if (ordered && me == 0)
        pthread_barrier_wait(&turn);
    return NULL;
}

int main(int argc, char **argv)
{
    ordered = argc > 1 && !strcmp(argv[1], "barrier");
    pthread_barrier_init(&turn, NULL, 2);
    int cells[3] = {0, 0, 0};
    pthread_t x, y;
    pthread_create(&x, NULL, work, cells);
    pthread_create(&y, NULL, work, cells);
    pthread_join(x, NULL);
    pthread_join(y, NULL);
    printf("%d\n", cells[1] > 0);
    pthread_barrier_destroy(&turn);
    return 0;
}
