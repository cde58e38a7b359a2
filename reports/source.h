/*
 * Source lines for the reports: the lines around file:line, read from the
 * file on disk at the path the debug information gives.  Files are read
 * once and cached for the life of a struct ls_source.
 */
#ifndef LS_SOURCE_H
#define LS_SOURCE_H

#include <stddef.h>

struct ls_source;

struct ls_source *ls_source_new(void);
void ls_source_free(struct ls_source *s);
/* Lines first..last (1-based, inclusive) around `line` with `context`
 * lines each side, clipped to the file.  Returns 0 and sets *lines to an
 * array of (last - first + 1) strings owned by s (no newline, CR removed),
 * or -1 if the file cannot be read (relative or missing path, not a
 * regular file, too big) or has no such line. */
int ls_source_lines(struct ls_source *s, const char *path, int line, int context, int *first,
                    int *last, const char *const **lines);

#endif
