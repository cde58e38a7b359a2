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

#endif
