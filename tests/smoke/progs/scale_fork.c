/*
 * Scale: one run that forks and execs 50 processes.  The parent forks N
 * children (default 50); each child execs this program again as a worker
 * (`scale_fork worker K`), which runs two threads taking two locks in one
 * order and exits with status K % 7.  The parent waits for all of them and
 * prints the sum of their statuses.  Nothing to report; N + 1 processes
 * traced, N of them exec'd (N + 1 + N trace files: before and after exec).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;
long work_done;

static void *work(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&first);
        pthread_mutex_lock(&second);
        work_done++;
        pthread_mutex_unlock(&second);
        pthread_mutex_unlock(&first);
    }
    return arg;
}

static int worker(int k)
{
    pthread_t a, b;
    pthread_create(&a, NULL, work, NULL);
    pthread_create(&b, NULL, work, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return work_done == 2000 ? k % 7 : 100;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "worker") == 0)
        return worker(atoi(argv[2]));
    int n = argc > 1 ? atoi(argv[1]) : 50;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    for (int k = 0; k < n; k++) {
        pids[k] = fork();
        if (pids[k] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[k] == 0) {
            char num[16];
            snprintf(num, sizeof num, "%d", k);
            execl("/proc/self/exe", argv[0], "worker", num, (char *)NULL);
            _exit(127);
        }
    }
    int sum = 0;
    for (int k = 0; k < n; k++) {
        int st;
        waitpid(pids[k], &st, 0);
        sum += WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
    }
    printf("children %d status sum %d\n", n, sum);
    return 0;
}
