/*
 * What python_race.c (the watchpoints, the trap, the sampler) and
 * python_vars.c (which Python globals are candidates) share.  Internal to
 * the shim.
 */
#ifndef LS_PYTHON_RACE_H
#define LS_PYTHON_RACE_H

#include "python.h"

#include <sys/types.h>

typedef ssize_t Py_ssize_t;

#define RD(p, off, type) (*(type *)((char *)(p) + (off)))

#define MAX_VARS 64

/* dicts, 3.11 to 3.13 */
#define MA_KEYS 32
#define MA_VALUES 40
#define DK_LOG2_INDEX 9
#define DK_KIND 10
#define DK_NENTRIES 24
#define DK_INDICES 32
#define CO_CONSTS 24
#define CO_NAMES 32
#define TUPLE_ITEMS 24
#define OB_SIZE 16
#define TP_NAME 24
#define TP_FLAGS 168
#define TP_DICT 264
#define TPFLAGS_TYPE (1ul << 31)
#define TPFLAGS_UNICODE (1ul << 28)

struct pvar {
    uint32_t id;
    uint8_t tier;             /* 0: a function stores it; 1: one loads it */
    void *dict, *key;         /* the module's dict, the interned name (borrowed: both live
                                 as long as the module; the key is checked before use) */
    _Atomic(void *) keys;     /* the dict's table when the slot was found */
    _Atomic uint64_t slot;    /* the value slot's address, 0 if not found */
    _Atomic int armed;        /* on a debug register now: its slot index + 1 */
};

/* The C API calls made with the GIL held. */
struct pyr_api {
    void *(*modules)(void);
    int (*dict_next)(void *, Py_ssize_t *, void **, void **);
    void *(*get_str)(void *, const char *);
    void *(*code_bytes)(void *);
    char *(*bytes_str)(void *);
    Py_ssize_t (*bytes_size)(void *);
    Py_ssize_t (*dict_size)(void *);
    void *(*getattr)(void *, const char *);
    void *(*func_code)(void *);
    void *(*module_dict)(void *);
    const char *(*utf8)(void *, Py_ssize_t *);
    void *(*get_item)(void *, void *);
    void (*decref)(void *);
    void (*fetch)(void **, void **, void **);
    void (*restore)(void *, void *, void *);
    void *(*import)(const char *);
    void *(*cfunc)(void *, void *, void *);
    void *(*call)(void *, ...);
    void *(*none)(const char *, ...);
    void (*clear)(void);
};

extern struct pyr_api pyapi LS_HIDDEN;
extern struct pvar ls_pyr_vars[MAX_VARS] LS_HIDDEN;
extern _Atomic uint32_t ls_pyr_nvars LS_HIDDEN;
/* The program's own code uses queue.SimpleQueue (see python_vars.c). */
extern _Atomic int ls_pyr_handoff_unseen LS_HIDDEN;

/* The access the instruction at index lasti of code units u makes: the
 * name index in *name and 1 for a write, 0 a read (| 0x10: a *_NAME
 * instruction); -1 if it is no global access. */
int ls_pyr_classify(const unsigned char *u, int lasti, int *name) LS_HIDDEN;
/* The value slot of key in dict d (a combined table), 0 if it is not
 * there; *keys_out: the dict's table.  GIL held. */
uint64_t ls_pyr_slot_of(void *d, void *key, void **keys_out) LS_HIDDEN;
/* GIL held: new candidates of the program's modules (ls_pyr_vars). */
void ls_pyr_find_vars(void) LS_HIDDEN;

#endif
