/*
 * Reproducer: a program that starts a child with vfork + exec (as the gcc
 * driver does for cc1 and as, and as many older programs do), waits for it,
 * then has a real lock-order cycle (a_lock -> b_lock in one thread,
 * b_lock -> a_lock in another) and exits with status 3.
 * Expected from `lockscope run`: two processes (this one and /bin/true),
 * this one not "execed" (the vfork child's exec must not end the parent's
 * trace), no note that an exec'd program wrote no trace, and the
 * a_lock/b_lock cycle reported.  (lockscope before 661f562 got all three
 * wrong for every compiler driver run by make.)
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
/* ba takes its locks only after ab has released its own (ab_done): both
 * threads are alive together, so the inversion is a real lock-order cycle,
 * but this run never deadlocks (a semaphore hand-off is not thread creation
 * or join, so lockscope must still report the cycle). */
static sem_t ab_done;

static void *ab(void *arg)
{
    pthread_mutex_lock(&a_lock);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_unlock(&b_lock);
    pthread_mutex_unlock(&a_lock);
    sem_post(&ab_done);
    return arg;
}

static void *ba(void *arg)
{
    sem_wait(&ab_done);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_lock(&a_lock);
    pthread_mutex_unlock(&a_lock);
    pthread_mutex_unlock(&b_lock);
    return arg;
}

int main(int argc, char **argv)
{
    const char *prog = argc > 1 ? argv[1] : "/bin/true";
    sem_init(&ab_done, 0, 0);
    pid_t pid = vfork();
    if (pid == 0) {
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    pthread_t t1, t2;
    pthread_create(&t1, NULL, ab, NULL);
    pthread_create(&t2, NULL, ba, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 3;
}
