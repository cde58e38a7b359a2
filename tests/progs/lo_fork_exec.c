/* A process tree: the parent takes a then b in a thread; it forks a child
 * that runs the inverted order in two threads of its own (a cycle inside
 * the child), and execs a program given on the command line.  lockscope
 * follows both: the child's cycle is reported, and so is whatever the
 * exec'd program does. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *ab(void *arg)
{
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return arg;
}

static void *ba(void *arg)
{
    usleep(100 * 1000);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return arg;
}

static void run(void *(*f)(void *))
{
    pthread_t t;
    pthread_create(&t, NULL, f, NULL);
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    run(ab);
    pid_t child = fork();
    if (child == 0) {
        pthread_t t1, t2;
        pthread_create(&t1, NULL, ab, NULL);
        pthread_create(&t2, NULL, ba, NULL);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        _exit(0);
    }
    int st;
    waitpid(child, &st, 0);
    if (argc > 1) {
        pid_t e = fork();
        if (e == 0) {
            execv(argv[1], argv + 1);
            _exit(127);
        }
        waitpid(e, &st, 0);
    }
    puts("tree done");
    return 0;
}
