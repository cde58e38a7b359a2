/*
 * What a program's global variables are, read offline from its ELF file:
 *  - their types in the debug information: C11 _Atomic (and C++
 *    std::atomic), synchronization objects (pthread_mutex_t, pthread_once_t,
 *    sem_t, pthread_barrier_t, std::mutex, ...);
 *  - how the program's code names them (Zydis over the functions whose
 *    bytes could name one, and the relocations and pointers in its data):
 *    written, only read, never named, touched by atomic instructions
 *    (LOCK, XCHG; every one is found).  A variable named more than 64
 *    times without being written is taken to be only read.
 *
 * `lockscope run` passes this to the shim (LOCKSCOPE_GLOBALS) so that the
 * shim does no such scanning in the program; the race check uses the
 * atomic instructions' bytes.  Results are kept per path for the life of
 * the process (run and analyze read the same file once).
 */
#ifndef LS_GLOBALS_H
#define LS_GLOBALS_H

#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>

enum {
    LS_G_ATOMIC_TYPE = 1,     /* _Atomic, std::atomic<>: synchronization */
    LS_G_SYNC_TYPE = 2,       /* a synchronization object (or an array of them) */
    LS_G_READ = 4,            /* the code reads it by name */
    LS_G_WRITE = 8,           /* ... writes it */
    LS_G_ADDRESS = 16,        /* ... takes its address (or data points at it) */
    LS_G_ATOMIC_CODE = 32,    /* an atomic instruction accesses it by name */
};

struct ls_gvar {
    uint64_t vaddr, size;     /* ELF virtual address (add the load bias) */
    const char *name;
    unsigned flags;           /* LS_G_* */
};

/* Bytes an atomic instruction in the code accesses. */
struct ls_grange {
    uint64_t vaddr;
    uint32_t size;
};

struct ls_globals {
    struct ls_gvar *vars;     /* writable data objects, by address */
    size_t nvars;
    struct ls_grange *atomics; /* by address */
    size_t natomics;
    int code_scanned;         /* the text was read (else READ/WRITE/ADDRESS say nothing) */
    struct ls_gvar *tls;      /* TLS variables: vaddr is the offset in the TLS block */
    size_t ntls;
};

/* The globals of the ELF file at path, or NULL if it cannot be read.
 * Owned by this module (cached): do not free. */
const struct ls_globals *ls_globals_of(const char *path);

/* The variable containing vaddr, or NULL. */
const struct ls_gvar *ls_globals_at(const struct ls_globals *g, uint64_t vaddr);

/* 1 if an atomic instruction of the code accesses a byte of [vaddr, + size). */
int ls_globals_atomic_bytes(const struct ls_globals *g, uint64_t vaddr, uint64_t size);

/* The value of LOCKSCOPE_GLOBALS after "EXE:" (format in preload/candidates.c),
 * at most max bytes (the classes that matter least are left out first);
 * malloc'ed, "" if nothing is to be said. */
char *ls_globals_hint(const struct ls_globals *g, size_t max);

/* Names of the _Atomic-typed globals, comma-separated (malloc'ed; "" if
 * none). */
/* The TLS variable holding offset off of the module's TLS block, NULL if
 * none. */
const struct ls_gvar *ls_globals_tls_at(const struct ls_globals *g, uint64_t off);

char *ls_globals_atomic_names(const struct ls_globals *g);

/* What a variable's type makes it (its DIE): LS_G_ATOMIC_TYPE (C11
 * _Atomic, C++ std::atomic<>, atomic_flag), LS_G_SYNC_TYPE (a
 * synchronization object, or an array of them) or 0, through typedefs,
 * qualifiers and arrays. */
unsigned ls_globals_type_class(Dwarf_Die *var);

#endif
