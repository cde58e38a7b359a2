/*
 * What an armed turn of the watchpoints cost the program, estimated.
 *
 * An armed debug register costs the whole program, whatever it watches:
 * while one is enabled the CPU runs fast string instructions one element
 * at a time, and the kernel uses them to clear each page it faults in (a
 * page fault took 3.5 us here, 5 us with a watchpoint armed) and to copy
 * what read() and write() move (0.14 ns a byte, 0.59 ns armed); and every
 * context switch of a thread that has them loads the registers (4 us more
 * a switch on this VM: a condvar ping-pong went from 15.4 to 23.2 us a
 * round).  The process's own counts tell how much of that a turn paid:
 * getrusage() sums the page faults and switches of all its threads, and
 * /proc/self/io the bytes its system calls read and wrote.  Left out: the
 * shim's own threads' switches (the sampler's sleeps, the watchdog's
 * ticks) and what starting a thread takes (a program that starts threads
 * is watched while it does).
 *
 * A turn that cost more than the permille it is given of its length is
 * followed by enough rests (LS_WATCH_COST_RESTS_MAX at most) that the
 * armed turns cost no more than that over the armed and rested time
 * together (more rest than that in the young turns, each twice as long as
 * the one before): a program that faults, switches or copies all the time
 * is sampled less, one that does none of it is not affected.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <unistd.h>

#define FAULT_NS 1500  /* a page fault's extra cost with a register armed */
#define SWITCH_NS 4000 /* a context switch's */
#define BYTE_PS 450    /* a byte read or written by a system call's */
/* What starting a thread takes (its stack and state, the shim's own
 * share), left out: starting threads does not make a turn dear (100
 * threads took 13 faults and 2 switches each). */
#define THREAD_FAULTS 20
#define THREAD_SWITCHES 4

/* The process's counts, as they were when the last turn ended. */
struct tally {
    long faults, switches, mine, threads, bytes; /* mine: the sampler's own switches */
};
static struct tally last;

/* The number after key in /proc/self/io's text, 0 if missing. */
static long io_field(const char *text, const char *key)
{
    const char *at = strstr(text, key);
    return at ? strtol(at + strlen(key), NULL, 10) : 0;
}

/* What the process's system calls read and wrote (the kernel copies it
 * with a fast string instruction): /proc/self/io's rchar and wchar, 0 if
 * it cannot be read. */
static long io_bytes(void)
{
    char buf[256];
    int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return io_field(buf, "rchar:") + io_field(buf, "wchar:");
}

static struct tally counts(void)
{
    struct rusage ru;
    struct tally t = {.threads = (long)ls_thread_tids_given(), .bytes = io_bytes()};
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        t.faults = ru.ru_minflt + ru.ru_majflt;
        t.switches = ru.ru_nvcsw + ru.ru_nivcsw;
    }
    if (getrusage(RUSAGE_THREAD, &ru) == 0)
        t.mine = ru.ru_nvcsw + ru.ru_nivcsw;
    return t;
}

void ls_watch_cost_start(void)
{
    last = counts();
}

int ls_watch_cost_rests(long turn_ns, int armed, int permille)
{
    struct tally now = counts();
    long started = now.threads - last.threads, db = now.bytes - last.bytes;
    /* Less the sampler's own switches and the watchdog's (it wakes at
     * least every profile tick). */
    long df = now.faults - last.faults - started * THREAD_FAULTS;
    long ds = now.switches - last.switches - (now.mine - last.mine) -
              (turn_ns / ((long)LS_PROFILE_TICK_MS * 1000000L) + 2) - started * THREAD_SWITCHES;
    last = now;
    if (!armed)
        return 0;
    long cost = (df > 0 ? df : 0) * FAULT_NS + (ds > 0 ? ds : 0) * SWITCH_NS +
                (db > 0 ? db : 0) / 1000 * BYTE_PS;
    long allowed = turn_ns / 1000 * permille;
    if (allowed <= 0 || cost <= allowed)
        return 0;
    long rests = (cost + allowed - 1) / allowed - 1;
    return rests > LS_WATCH_COST_RESTS_MAX ? LS_WATCH_COST_RESTS_MAX : (int)rests;
}
