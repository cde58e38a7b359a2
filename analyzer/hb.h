/*
 * Happens-before from thread creation and join.
 *
 * A point is (thread, epoch): each thread's epoch starts at 1 and advances
 * at every pthread_create and pthread_join it performs.  The parent's
 * points up to the child's parent_epoch happen before all of the child's;
 * a joined thread's points up to its final epoch happen before the
 * joiner's points after its joiner_epoch.
 */
#ifndef LS_HB_H
#define LS_HB_H

#include <stdint.h>

#include "model.h"

struct ls_hb;

struct ls_hb *ls_hb_new(const struct ls_process *p);
void ls_hb_free(struct ls_hb *hb);
/* 1 if (a, ea) happens before (b, eb). */
int ls_hb_before(struct ls_hb *hb, uint32_t a, uint32_t ea, uint32_t b, uint32_t eb);
/* 1 if the points are in different threads and neither happens before the
 * other: they can overlap in some run. */
int ls_hb_concurrent(struct ls_hb *hb, uint32_t a, uint32_t ea, uint32_t b, uint32_t eb);

#endif
