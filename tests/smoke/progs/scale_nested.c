/*
 * Scale: locks held 100 deep (ThreadSanitizer gives up past 64).  Two
 * threads take level[0] .. level[DEPTH-1] in order and release them in
 * reverse, again and again: no cycle.  With `scale_nested DEPTH reversed`, a
 * third thread takes level[DEPTH-1] then level[0]: a real lock-order cycle
 * between the outermost and the innermost level, which must be reported.
 * (This run does not hang: the third thread waits at a barrier until the
 * others are done; all three threads are alive together, so the cycle can
 * deadlock in another program.)  Every path level[0] -> ... -> level[DEPTH-1]
 * through the first threads' edges closes a cycle with the reversed edge:
 * the analysis must stay bounded in time and findings.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXDEPTH 1000
pthread_mutex_t level[MAXDEPTH];
long depth_reached;
static int depth = 100;
static pthread_barrier_t nested_done;

static void *nest(void *arg)
{
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < depth; i++)
            pthread_mutex_lock(&level[i]);
        depth_reached = depth; /* under all of them */
        for (int i = depth; i-- > 0;)
            pthread_mutex_unlock(&level[i]);
    }
    pthread_barrier_wait(&nested_done);
    return arg;
}

static void *reversed(void *arg)
{
    pthread_barrier_wait(&nested_done);
    pthread_mutex_lock(&level[depth - 1]);
    pthread_mutex_lock(&level[0]);
    pthread_mutex_unlock(&level[0]);
    pthread_mutex_unlock(&level[depth - 1]);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        depth = atoi(argv[1]);
    if (depth < 2 || depth > MAXDEPTH)
        return 2;
    int rev = argc > 2 && strcmp(argv[2], "reversed") == 0;
    for (int i = 0; i < depth; i++)
        pthread_mutex_init(&level[i], NULL);
    pthread_barrier_init(&nested_done, NULL, rev ? 3 : 2);
    pthread_t t1, t2, t3;
    pthread_create(&t1, NULL, nest, NULL);
    pthread_create(&t2, NULL, nest, NULL);
    if (rev)
        pthread_create(&t3, NULL, reversed, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    if (rev)
        pthread_join(t3, NULL);
    printf("depth %ld\n", depth_reached);
    return 0;
}
