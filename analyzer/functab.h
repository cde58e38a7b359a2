/* A module's function symbols, sorted once, for looking up many code
 * addresses (libdwfl's own lookup scans every symbol each time). */
#ifndef LS_FUNCTAB_H
#define LS_FUNCTAB_H

#include <elfutils/libdwfl.h>
#include <stdint.h>

struct ls_functab;

/* The table of mod's sized function symbols, at addresses less bias (the
 * module's load bias in this process) and with names of its own, so that
 * it serves any process that loaded the same file; NULL if it has none (or
 * no memory): callers then ask libdwfl. */
struct ls_functab *ls_functab_new(Dwfl_Module *mod, uint64_t bias);
void ls_functab_free(struct ls_functab *t);

/* The table of the file at path (mod, loaded at bias, in some process),
 * built the first time the analysis asks for that file and kept until it
 * ends: processes that loaded the same file share it.  NULL as above. */
const struct ls_functab *ls_functab_shared(const char *path, Dwfl_Module *mod, uint64_t bias);

/* What dwfl_module_addrinfo names pc (less the bias): 0 with *name (NULL when no symbol
 * does) and its size in *size when the table can tell; -1 when libdwfl's
 * own search must decide (a symbol enclosing others, an assembly label
 * below pc, no table). */
int ls_functab_find(const struct ls_functab *t, uint64_t pc, const char **name, uint64_t *size);

#endif
