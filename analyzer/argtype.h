/*
 * The fields of what a new thread's argument points to, named from the
 * debug information of the thread's start routine (LS_REC_THREAD_ARG).
 *
 * A start routine says what its argument is only through types: its
 * parameter, when typed as a pointer to a struct (or union, or class), else
 * its local variables that are (`struct job *j = arg;`, in nested blocks
 * too).  The type is used only when it is the one candidate: a parameter
 * of such a type, or exactly one distinct struct type among the locals'
 * pointers, complete, and fitting the heap block from the argument on.  A
 * name that might be wrong is not given: two struct pointer types among the
 * locals, two start routines handed the same bytes that disagree, or a
 * routine whose type cannot be decided, and the bytes stay unnamed.
 */
#ifndef LS_ARGTYPE_H
#define LS_ARGTYPE_H

#include "model.h"
#include "symbolize.h"

#include <stdint.h>

struct ls_argtypes;

/* For one process, with its symbolizer (which must outlive it). */
struct ls_argtypes *ls_argtypes_new(const struct ls_process *p, struct ls_symbolizer *s);
void ls_argtypes_free(struct ls_argtypes *a);

/* What the start routines object o (heap or stack) was handed to call its
 * bytes [lo, hi) (addresses): "j->count", "job->inner.x", "job->arr[3]";
 * malloc'ed; NULL if none names them for certain. */
char *ls_argtypes_member(struct ls_argtypes *a, const struct ls_object_rec *o, uint64_t lo,
                         uint64_t hi);

#endif
