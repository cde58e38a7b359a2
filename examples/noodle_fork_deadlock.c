/*
 * The seed's noodle/fork program as written: eat2 sleeps while it holds
 * fork_lock, so eat1 (holding noodle_lock, waiting for fork_lock) and eat2
 * (holding fork_lock, waiting for noodle_lock) wait for each other forever.
 * Natively it hangs; under lockscope it is reported and ended.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t noodle_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;

static void *eat1(void *arg)
{
    const char *name = arg;
    pthread_mutex_lock(&noodle_lock); /* @eat1_noodle */
    printf("%s got the noodles\n", name);
    pthread_mutex_lock(&fork_lock); /* @eat1_fork */
    printf("%s got the fork\n", name);
    printf("%s eats\n", name);
    pthread_mutex_unlock(&fork_lock);
    pthread_mutex_unlock(&noodle_lock);
    return NULL;
}

static void *eat2(void *arg)
{
    const char *name = arg;
    pthread_mutex_lock(&fork_lock); /* @eat2_fork */
    printf("%s got the fork\n", name);
    sleep(1);
    pthread_mutex_lock(&noodle_lock); /* @eat2_noodle */
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
