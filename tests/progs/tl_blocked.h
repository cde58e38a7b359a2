/*
 * For the timeline's test programs: wait until another thread is really
 * blocked (so that the wait the test looks for happens on a loaded machine
 * too, not only when the sleeps were long enough).  The other thread sets
 * *stage to at least `want` just before its blocking call and publishes
 * its kernel thread id; blocked = its state in /proc is S (sleeping) several
 * times in a row.
 */
#ifndef TL_BLOCKED_H
#define TL_BLOCKED_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int tl_gettid(void)
{
    return (int)syscall(SYS_gettid);
}

static inline char tl_state(int tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

static inline void tl_until_blocked(_Atomic int *stage, int want, _Atomic int *tid)
{
    while (atomic_load(stage) < want)
        usleep(1000);
    for (int seen = 0, i = 0; seen < 5 && i < 10000; i++) {
        seen = tl_state(atomic_load(tid)) == 'S' ? seen + 1 : 0;
        usleep(1000);
    }
}

#endif
