/*
 * What a program's code says of its globals, kept between runs (see
 * globals_cache.c): the symbols, the code's and the data's references and
 * the atomic instructions' bytes; not the debug information's types.
 */
#ifndef LS_GLOBALS_CACHE_H
#define LS_GLOBALS_CACHE_H

#include "globals.h"

/* Fills g from the entry kept for the file at path: 0, or -1 if there is
 * none that is valid (g untouched). */
int ls_gcache_load(const char *path, struct ls_globals *g);

/* Keeps what g says of the file at path; nothing if it cannot. */
void ls_gcache_store(const char *path, const struct ls_globals *g);

#endif
