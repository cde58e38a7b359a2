/*
 * Source lines for the reports (source.h).
 */
#define _GNU_SOURCE
#include "source.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LS_SOURCE_MAX_BYTES (8u << 20)

struct file {
    char *path;
    int ok;
    char **lines;
    size_t n;
};

struct ls_source {
    struct file *files;
    size_t n, cap;
};

struct ls_source *ls_source_new(void)
{
    return xcalloc(1, sizeof(struct ls_source));
}

void ls_source_free(struct ls_source *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < s->files[i].n; j++)
            free(s->files[i].lines[j]);
        free(s->files[i].lines);
        free(s->files[i].path);
    }
    free(s->files);
    free(s);
}

static void load(struct file *f)
{
    struct stat st;
    /* Relative paths (glibc's "./nptl/...") name files of another build. */
    if (f->path[0] != '/' || stat(f->path, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > LS_SOURCE_MAX_BYTES)
        return;
    FILE *in = fopen(f->path, "r");
    if (!in)
        return;
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, in)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        /* A NUL byte: not a text file. */
        if (strlen(line) != (size_t)len) {
            free(line);
            fclose(in);
            for (size_t j = 0; j < f->n; j++)
                free(f->lines[j]);
            free(f->lines);
            f->lines = NULL;
            f->n = 0;
            return;
        }
        LS_GROW(f->lines, cap, f->n + 1);
        f->lines[f->n++] = xstrndup(line, (size_t)len);
    }
    free(line);
    fclose(in);
    f->ok = 1;
}

int ls_source_lines(struct ls_source *s, const char *path, int line, int context, int *first,
                    int *last, const char *const **lines)
{
    if (!path || line <= 0)
        return -1;
    struct file *f = NULL;
    for (size_t i = 0; i < s->n && !f; i++)
        if (!strcmp(s->files[i].path, path))
            f = &s->files[i];
    if (!f) {
        LS_GROW(s->files, s->cap, s->n + 1);
        f = &s->files[s->n++];
        memset(f, 0, sizeof *f);
        f->path = xstrdup(path);
        load(f);
    }
    if (!f->ok || (size_t)line > f->n)
        return -1;
    *first = line - context < 1 ? 1 : line - context;
    *last = (size_t)(line + context) > f->n ? (int)f->n : line + context;
    *lines = (const char *const *)&f->lines[*first - 1];
    return 0;
}
