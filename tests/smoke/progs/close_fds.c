/*
 * Reproducer: a program that closes every descriptor above stderr (as
 * daemons, servers and spawn helpers do: closefrom(3)), then opens three
 * files of its own (they get descriptors 3, 4, 5), takes locks in a thread,
 * and writes a line into each file.  Expected: out1.txt, out2.txt and
 * out3.txt hold "file N" each, with or without lockscope (the trace may be
 * lost, with a warning, but the program's files must not be touched).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

pthread_mutex_t a_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg)
{
    pthread_mutex_lock(&a_lock);
    pthread_mutex_lock(&b_lock);
    pthread_mutex_unlock(&b_lock);
    pthread_mutex_unlock(&a_lock);
    return arg;
}

int main(void)
{
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "out%d.txt", i + 1);
        fds[i] = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    int ok = 0;
    for (int i = 0; i < 3; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "file %d\n", i + 1);
        ok += write(fds[i], line, (size_t)n) == n;
    }
    printf("descriptors %d %d %d, %d writes ok\n", fds[0], fds[1], fds[2], ok);
    return 0;
}
