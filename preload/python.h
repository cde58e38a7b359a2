/*
 * The shim's CPython parts: python.c reads the interpreter, python_sem.c
 * follows its semaphores.  Everything here runs only with the GIL held by
 * the calling thread (ts: its thread state, from ls_py_tstate).
 */
#ifndef LS_PYTHON_H
#define LS_PYTHON_H

#include "hot.h"
#include "wrap.h"

/* What the function that makes a semaphore says it is. */
enum { ROLE_LOCK = 0, ROLE_WAITER, ROLE_SENTINEL, ROLE_INTERNAL };

/* The calling thread's thread state if it holds the GIL in the main
 * interpreter of a running interpreter, else NULL. */
void *ls_py_tstate(void) LS_HIDDEN;
/* The calling thread's Python stack (0: no Python frame), taken when the
 * thread meets its top frame's site first; *role (may be NULL): what that
 * function makes. */
uint32_t ls_py_site(void *ts, uint32_t *role) LS_HIDDEN;
/* At a lock's first acquisition in this file: its name and kind. */
void ls_py_name_lock(void *ts, struct ls_lock *lk, const void *sem) LS_HIDDEN;
void ls_py_write_pylock(struct ls_lock *lk, uint32_t role, const char *name) LS_HIDDEN;
/* The thread's Python name, written once. */
void ls_py_name_thread(void *ts, struct ls_thread *t) LS_HIDDEN;


/* Raw reads for python_race.c (no call into the interpreter: the SIGTRAP
 * handler uses them).  The running interpreter's minor version (11..13). */
int ls_py_minor(void) LS_HIDDEN;
const char *ls_py_top_frame(void *ts) LS_HIDDEN;
const char *ls_py_frame_next(const char *f) LS_HIDDEN;
/* 1 with the frame's code object and instruction index if it runs Python code. */
int ls_py_frame_code(const char *f, const char **code, int *lasti) LS_HIDDEN;
void *ls_py_frame_globals(const char *f) LS_HIDDEN;
void *ls_py_frame_locals(const char *f) LS_HIDDEN;
const unsigned char *ls_py_code_units(const char *code) LS_HIDDEN;
void *ls_py_code_type(void) LS_HIDDEN;
/* The interpreter finalizes (a read of _PyRuntime: signal-safe). */
int ls_py_finalizing(void) LS_HIDDEN;
/* GIL held: a stack id for these Python frames (innermost first), its
 * LS_REC_PYSTACK written once; 0 if none could be made. */
uint32_t ls_py_stack_of(const void *const *cos, const int *lastis, int n) LS_HIDDEN;

/* python_race.c: Python variables watched for data races. */
void ls_pyr_init(void) LS_HIDDEN;
/* At a point where the calling thread holds the GIL (ts); creating: in
 * pthread_create (Thread.start). */
void ls_pyr_gil(void *ts, int creating) LS_HIDDEN;
void ls_pyr_after_fork_child(void) LS_HIDDEN;

#endif
