/*
 * Inside the live-deadlock detector (deadlock.c, deadlock_record.c): a
 * cycle or stall as found among the published waits, and the locks left
 * held by threads that have exited.
 */
#ifndef LS_DEADLOCK_H
#define LS_DEADLOCK_H

#include "shim.h"

#define MAX_CYCLE 64
#define MAX_DEAD 256

/* A lock held by a thread that has exited (orphaned while the lock's own
 * state still says so). */
struct ls_dead_hold {
    struct ls_lock *lk;
    uint32_t lock_id;         /* the lock's generation then */
    uint32_t tid, os_tid;
    uint32_t stack;           /* where it was acquired */
    uint32_t read;
};

struct ls_wait_cycle {
    int n;
    struct ls_thread *t[MAX_CYCLE];
    struct ls_thread *next[MAX_CYCLE]; /* whom t[i] waits for in this cycle */
    const struct ls_dead_hold *orphan[MAX_CYCLE]; /* or the exited holder of its lock */
    uint32_t gen[MAX_CYCLE];
};

/* The dead holds noted so far (entries never change once counted). */
const struct ls_dead_hold *ls_dead_holds(uint32_t *n) LS_HIDDEN;
/* Writes the LS_REC_DEADLOCK record of c (its members and the exited
 * holders of the locks they wait for) / the one-line warning on stderr. */
void ls_deadlock_write_record(struct ls_wait_cycle *c, uint32_t flags, int status) LS_HIDDEN;
void ls_deadlock_describe(struct ls_wait_cycle *c, uint32_t flags) LS_HIDDEN;

#endif
