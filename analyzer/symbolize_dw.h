/*
 * The debug-information side of symbolize.c, for the analyzer's files that
 * name memory by its type (argtype.c).
 */
#ifndef LS_SYMBOLIZE_DW_H
#define LS_SYMBOLIZE_DW_H

#include "symbolize.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

/* The module of the process that holds addr, NULL if none or no debug
 * information could be used for it. */
Dwfl_Module *ls_sym_dwfl(struct ls_symbolizer *s, uint64_t addr);

/* The tag of the type behind typedefs and qualifiers (*type moved to it),
 * -1 if it cannot be followed. */
int ls_dw_strip(Dwarf_Die *type);
/* The DIE's DW_AT_type: 1 and *type, else 0. */
int ls_dw_type_of(Dwarf_Die *die, Dwarf_Die *type);
/* The type's size in bytes, 0 if unknown. */
uint64_t ls_dw_size(Dwarf_Die *type);

/* What bytes [off, + size) of what a pointer called name points to (of
 * type pointee) are called: "job->count", "job->inner.x", "job->arr[3]",
 * "*job+4", "p[2]".  malloc'ed. */
char *ls_dw_pointee_member(const char *name, Dwarf_Die *pointee, uint64_t off, uint64_t size);
/* The pointer member at byte off of what a pointer called name points to
 * (of type pointee): its name ("w->st"), malloc'ed, and in *target the
 * type it points to; NULL if no pointer member starts there. */
char *ls_dw_pointer_member(const char *name, Dwarf_Die *pointee, uint64_t off,
                           Dwarf_Die *target);

#endif
