/*
 * The contention profile: which locks threads waited for, how long and
 * where.  Information, never findings.
 */
#ifndef LS_PROFILE_H
#define LS_PROFILE_H

#include "findings.h"
#include "model.h"

/* Adds p's lock profiles to the report, keeping r->profiles sorted by total
 * wait time, longest first. */
void ls_collect_profile(struct ls_process *p, size_t proc, struct ls_report *r);

#endif
