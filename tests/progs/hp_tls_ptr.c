/* main hands a thread the address of its own __thread counter; the thread
 * writes it through the pointer while main writes it too (a race on main's
 * TLS).  With "joined", main writes only after the join: clean. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static __thread long tls_counter;

static void *work(void *p)
{
    long *c = p;
    for (int k = 0; k < 300000; k++) *c += 1; /* @write */
    return NULL;
}

int main(int argc, char **argv)
{
    int joined = argc > 1 && !strcmp(argv[1], "joined");
    pthread_t th;
    pthread_create(&th, NULL, work, &tls_counter);
    if (!joined)
        for (int k = 0; k < 300000; k++)
            tls_counter += 2; /* @main */
    pthread_join(th, NULL);
    tls_counter += 2;
    printf("%d\n", tls_counter > 0);
    return 0;
}
