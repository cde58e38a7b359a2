/*
 * Findings for the deadlocks the shim saw while they happened.
 */
#ifndef LS_DEADLOCK_H
#define LS_DEADLOCK_H

#include "findings.h"
#include "model.h"

/* Adds one "deadlock" (or "stall") finding per recorded deadlock; returns how many. */
size_t ls_check_deadlocks(struct ls_process *p, size_t proc, struct ls_report *r);
/* Links each deadlock to the lock-order cycle over the same locks (both
 * ways), among findings from index `first` on. */
void ls_link_deadlocks(struct ls_report *r, size_t first);

#endif
