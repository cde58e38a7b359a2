/*
 * A small streaming JSON writer for the SARIF report: it keeps track of
 * commas and nesting so the writers only say what goes where.  Strings are
 * escaped with ls_esc_json().
 */
#ifndef LS_JSONW_H
#define LS_JSONW_H

#include <stdio.h>

#define LS_JSONW_DEPTH 64

struct ls_jsonw {
    FILE *out;
    int depth;
    int count[LS_JSONW_DEPTH];
    char close[LS_JSONW_DEPTH];
};

void ls_jw_init(struct ls_jsonw *w, FILE *out);
/* key is the member name inside an object, NULL inside an array. */
void ls_jw_obj(struct ls_jsonw *w, const char *key);
void ls_jw_arr(struct ls_jsonw *w, const char *key);
void ls_jw_end(struct ls_jsonw *w); /* closes the innermost object or array */
void ls_jw_str(struct ls_jsonw *w, const char *key, const char *v); /* NULL: null */
void ls_jw_int(struct ls_jsonw *w, const char *key, long long v);
void ls_jw_bool(struct ls_jsonw *w, const char *key, int v);

#endif
