/*
 * A dynamically linked program that runs a statically linked child
 * (fork + exec, argv[1]) and then has its own noodle/fork-style lock-order
 * cycle.  lockscope must note that the child was not checked (no trace),
 * go on checking the parent (the cycle is reported) and keep the child's
 * output.  Prints the child's status.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

pthread_mutex_t noodle_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
/* ba takes its locks only after ab has released its own (ab_done): both
 * threads are alive together, so the inversion is a real lock-order cycle,
 * but this run never deadlocks (a semaphore hand-off is not thread creation
 * or join, so lockscope must still report the cycle). */
static sem_t ab_done;

static void *eat1(void *arg)
{
    pthread_mutex_lock(&noodle_lock);
    pthread_mutex_lock(&fork_lock);
    pthread_mutex_unlock(&fork_lock);
    pthread_mutex_unlock(&noodle_lock);
    sem_post(&ab_done);
    return arg;
}

static void *eat2(void *arg)
{
    sem_wait(&ab_done);
    pthread_mutex_lock(&fork_lock);
    pthread_mutex_lock(&noodle_lock);
    pthread_mutex_unlock(&noodle_lock);
    pthread_mutex_unlock(&fork_lock);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    sem_init(&ab_done, 0, 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("static child status %d\n", WEXITSTATUS(st));
    pthread_t a, b;
    pthread_create(&a, NULL, eat1, NULL);
    pthread_create(&b, NULL, eat2, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
