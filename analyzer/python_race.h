/*
 * Data races on Python variables (LS_REC_PYVAR, PYACCESS, PYWATCH):
 * two accesses of different threads to one module global, one a write, not
 * ordered by Python's synchronization as the shim recorded it.
 */
#ifndef LS_PYTHON_RACE_H
#define LS_PYTHON_RACE_H

#include <stddef.h>
#include <stdint.h>

struct ls_process;
struct ls_report;
struct ls_pyrace;

int ls_pyrace_parse(struct ls_pyrace **pr, uint16_t type, const uint8_t *d, size_t n, char *err,
                    size_t errlen);
void ls_pyrace_free(struct ls_pyrace *pr);
/* The races of a CPython process; sets the data-race scope when the shim
 * watched Python variables.  Returns the findings added. */
size_t ls_check_py_races(struct ls_process *p, size_t proc, struct ls_report *r);

#endif
