/* A multithreaded program forks while another thread holds log_lock; the
 * child then takes log_lock, which nobody in the child will ever release
 * (fork copies only the forking thread).  Natively the child hangs. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t holding;

static void *logger(void *arg)
{
    pthread_mutex_lock(&log_lock);
    pthread_barrier_wait(&holding);
    usleep(300 * 1000);
    pthread_mutex_unlock(&log_lock);
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&holding, NULL, 2);
    pthread_create(&t, NULL, logger, NULL);
    pthread_barrier_wait(&holding);
    pid_t child = fork();
    if (child == 0) {
        pthread_mutex_lock(&log_lock); /* @child_lock */
        puts("child got the lock");
        _exit(0);
    }
    int st;
    waitpid(child, &st, 0);
    pthread_join(t, NULL);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
