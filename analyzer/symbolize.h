/*
 * Offline symbolization with elfutils (libdwfl): code addresses to
 * function, file:line and inlined frames; data addresses to global symbols.
 *
 * One symbolizer per traced process, fed with that process's module map
 * (path, load bias, address range, build-id) as recorded in its trace.
 * Results are cached; returned strings are owned by the symbolizer and live
 * until ls_sym_free().
 */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct ls_symbolizer;

struct ls_module_info {
    const char *path;
    uint64_t bias;            /* runtime address = ELF vaddr + bias */
    uint64_t start, end;      /* mapped range */
    const uint8_t *build_id;
    size_t build_id_len;
};

/* One source frame.  Fields are NULL / 0 when unknown. */
struct ls_frame {
    uint64_t pc;              /* the address looked up */
    const char *function;     /* demangled where possible */
    const char *file;         /* as recorded in DWARF (absolute when possible) */
    int line;
    int column;
    const char *module;       /* path of the module, NULL if outside every module */
    uint64_t module_offset;   /* pc - bias */
    int inlined;              /* 1: this frame was inlined into the next one */
    uint64_t func_size;       /* bytes of code of the function (its ELF symbol's size);
                                 0 if unknown and for inlined frames */
};

struct ls_symbolizer *ls_sym_new(void);
void ls_sym_free(struct ls_symbolizer *s);

/* Adds a module.  If the file on disk has a different build-id than the one
 * recorded, prints one warning naming the module and still uses it
 * (symbols may be wrong); if it cannot be opened, its addresses stay
 * unsymbolized.  Returns 0, or -1 if the module could not be used. */
int ls_sym_add_module(struct ls_symbolizer *s, const struct ls_module_info *m);

/* Resolves a return address (the shim records return addresses: the call
 * is at ret - 1) into up to max frames, innermost (most inlined) first; the
 * last frame is the real function containing the call.  Always returns at
 * least 1 when max >= 1 (a frame with only pc/module set if nothing is
 * known). */
int ls_sym_code(struct ls_symbolizer *s, uint64_t ret_addr, struct ls_frame *out, int max);

/* Resolves a data address to the global (or static) object symbol that
 * contains it.  Returns the name and sets *offset to addr - symbol start and
 * *size to the symbol's size, or returns NULL if no object symbol covers it. */
const char *ls_sym_data(struct ls_symbolizer *s, uint64_t addr, uint64_t *offset, uint64_t *size);

/* 1 if the global variable at addr has a C11 _Atomic (or C++ std::atomic)
 * type (DWARF says so); 0 if not, or if there is no debug information to
 * tell. */
int ls_sym_data_atomic(struct ls_symbolizer *s, uint64_t addr);

/* What the debug information calls the bytes [addr, + size) of a global:
 * "cells[2]", "s.flags+5", "grid[1][3]", "cells[0..1]"; the variable's name
 * alone when they are all of it (or the start of a scalar).  malloc'ed;
 * NULL without debug information for it. */
char *ls_sym_data_member(struct ls_symbolizer *s, uint64_t addr, uint64_t size);

/* What the debug information calls bytes [off, + size) of what the global
 * pointer at `global` points to: "job->count", "table[3]", "*p+4".
 * malloc'ed; NULL if the global is not a pointer the debug information
 * knows. */
char *ls_sym_pointee_member(struct ls_symbolizer *s, uint64_t global, uint64_t off,
                            uint64_t size);

#endif
