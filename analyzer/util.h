/*
 * Error reporting and small helpers for the analyzer and the command.
 *
 * Messages are lowercase, have no full stop, say what failed first and
 * quote the subject: `cannot open trace 'x'`.  die() exits with status 2,
 * error() prints and returns -1 so callers can `return error(...)`, BUG()
 * is for broken invariants.
 */
#ifndef LS_UTIL_H
#define LS_UTIL_H

#include <stddef.h>
#include <stdint.h>

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) int error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void warning(const char *fmt, ...);
#define BUG(msg) ls_bug(__FILE__, __LINE__, msg)
/* fn(arg) runs before each of the messages above is printed (the command
 * erases its progress line there); NULL: nothing. */
void ls_set_message_hook(void (*fn)(void *arg), void *arg);
__attribute__((noreturn)) void ls_bug(const char *file, int line, const char *msg);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grows *arr (of elements of size elem) to hold at least need elements. */
void ls_grow(void **arr, size_t *cap, size_t need, size_t elem);
#define LS_GROW(arr, cap, need) ls_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

/* A growable string. */
struct strbuf {
    char *buf;
    size_t len, cap;
};
void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
__attribute__((format(printf, 2, 3))) void sb_printf(struct strbuf *sb, const char *fmt, ...);
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
/* Appends the contents of the file at path; on error prints
 * "cannot open/read WHAT 'PATH': ..." and returns -1. */
int sb_read_file(struct strbuf *sb, const char *path, const char *what);
/* Takes ownership of the buffer, leaving sb empty. */
char *sb_detach(struct strbuf *sb);

uint64_t ls_fnv1a(uint64_t h, const void *data, size_t n);
#define LS_FNV_INIT 0xcbf29ce484222325ULL
const char *ls_basename(const char *path);

#endif
