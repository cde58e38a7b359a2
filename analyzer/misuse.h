/*
 * Misuse of the pthread API, as the shim saw it happen.
 */
#ifndef LS_MISUSE_H
#define LS_MISUSE_H

#include "findings.h"
#include "model.h"

/* One "misuse" finding per rule and call site (symbolized), however often
 * it happened.  Returns the number added. */
size_t ls_check_misuse(struct ls_process *p, size_t proc, struct ls_report *r);
/* The stable rule id of an on-disk LS_MISUSE_* code. */
const char *ls_misuse_rule_id(uint32_t rule);
/* The name of an on-disk LS_CALL_* code ("sem_post"), NULL if unknown. */
const char *ls_misuse_call_name(uint32_t call);
/* "EINVAL" for EINVAL, ...; NULL for a value it does not know. */
const char *ls_errno_name(int e);

#endif
