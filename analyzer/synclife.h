/*
 * Races on the sync objects themselves: an init or destroy of a mutex,
 * rwlock, condvar, barrier or semaphore that happens-before does not order
 * against another thread's use of it (LS_REC_SYNC_RACE, judged by the shim
 * on every call).  Each becomes a data-race finding whose variable is the
 * object ("location": "sync").
 */
#ifndef LS_SYNCLIFE_H
#define LS_SYNCLIFE_H

#include "findings.h"
#include "model.h"

/* Adds p's sync-object races and the scope entry "sync-lifetime".
 * Returns the findings added. */
size_t ls_check_synclife(struct ls_process *p, size_t proc, struct ls_report *r);

#endif
