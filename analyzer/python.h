/*
 * CPython processes in the model: Python code objects, the Python frames
 * of stacks, what each Python lock is (LS_REC_PYTHON, PYCODE, PYSTACK,
 * PYLOCK; include/lockscope/trace.h).
 */
#ifndef LS_PYTHON_H
#define LS_PYTHON_H

#include <stddef.h>
#include <stdint.h>

#include "lockscope/trace.h"

struct ls_process;
struct ls_pyrace;

struct ls_pycode {
    uint32_t id;
    char *file, *name;
};

struct ls_pystack {
    uint32_t stack;
    uint32_t n;
    struct ls_rec_pyframe *f;
};

struct ls_pylock {
    uint32_t lock;
    uint32_t role;            /* LS_PYLOCK_* */
    char *name;               /* NULL if no binding was found */
};

struct ls_pyinfo {
    uint32_t version;         /* Py_Version */
    uint32_t flags;           /* LS_PY_* */
    struct ls_pycode *codes;
    size_t ncodes, cap_codes;
    struct ls_pystack *stacks;
    size_t nstacks, cap_stacks;
    struct ls_pylock *locks;
    size_t nlocks, cap_locks;
    struct ls_pyrace *race;   /* Python variables watched (python_race.c) */
    int sorted;
};

/* Parses one of the Python records into p->py.  Returns 0, or -1 with a
 * message in err. */
int ls_py_parse(struct ls_process *p, uint16_t type, const uint8_t *data, size_t n, char *err,
                size_t errlen);
/* After the whole trace was read: the edges and profiles of Python locks
 * that turned out to be signals are dropped. */
void ls_py_finish(struct ls_process *p);
void ls_py_free(struct ls_pyinfo *py);

const struct ls_pystack *ls_py_stack(struct ls_process *p, uint32_t stack);
const struct ls_pycode *ls_py_code(struct ls_process *p, uint32_t id);
/* The name a Python lock is bound to, or NULL. */
const char *ls_py_lock_name(struct ls_process *p, uint32_t lock);
struct ls_fprocess;
/* The report's "python" scope entry of a CPython process: its Python
 * locks checked, or why not. */
void ls_py_scope(struct ls_process *p, struct ls_fprocess *fp);
/* "3.11.2" into buf. */
void ls_py_version(uint32_t v, char *buf, size_t n);
/* 1 if a Python file is the interpreter's (stdlib, site-packages, frozen). */
int ls_py_system_file(const char *file);

#endif
