/* Two mutexes on the heap (no symbol to name them by) taken in both orders
 * by two threads: reported, each lock named by where it was initialized. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct account {
    pthread_mutex_t m;
    long balance;
};

static struct account *new_account(long balance)
{
    struct account *a = malloc(sizeof *a);
    pthread_mutex_init(&a->m, NULL); /* @init */
    a->balance = balance;
    return a;
}

static struct account *alice, *bob;

static void transfer(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&from->m); /* @from */
    pthread_mutex_lock(&to->m);   /* @to */
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->m);
    pthread_mutex_unlock(&from->m);
}

static void *pay_bob(void *arg)
{
    transfer(alice, bob, 10);
    return arg;
}

static void *pay_alice(void *arg)
{
    usleep(100 * 1000);
    transfer(bob, alice, 5);
    return arg;
}

int main(void)
{
    alice = new_account(100);
    bob = new_account(100);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, pay_bob, NULL);
    pthread_create(&t2, NULL, pay_alice, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return alice->balance + bob->balance == 200 ? 0 : 1;
}
