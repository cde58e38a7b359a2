/*
 * The seed's fix: one recursive lock serves as both noodle_lock and
 * fork_lock (`fork_lock = noodle_lock = RLock()`).  Nothing to report.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t noodle_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
#define fork_lock noodle_lock

static void *eat1(void *arg)
{
    const char *name = arg;
    pthread_mutex_lock(&noodle_lock);
    printf("%s got the noodles\n", name);
    pthread_mutex_lock(&fork_lock);
    printf("%s got the fork\n", name);
    printf("%s eats\n", name);
    pthread_mutex_unlock(&fork_lock);
    pthread_mutex_unlock(&noodle_lock);
    return NULL;
}

static void *eat2(void *arg)
{
    const char *name = arg;
    pthread_mutex_lock(&fork_lock);
    printf("%s got the fork\n", name);
    usleep(100 * 1000);
    pthread_mutex_lock(&noodle_lock);
    printf("%s got the noodles\n", name);
    printf("%s eats\n", name);
    pthread_mutex_unlock(&noodle_lock);
    pthread_mutex_unlock(&fork_lock);
    return NULL;
}

int main(void)
{
    const char *names[] = {"Nezha", "Egon", "Yuan"};
    pthread_t t[6];
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < 3; i++) {
        pthread_create(&t[2 * i], NULL, eat1, (void *)names[i]);
        pthread_create(&t[2 * i + 1], NULL, eat2, (void *)names[i]);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    return 0;
}
