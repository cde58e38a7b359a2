/*
 * Suppressions: parsing the file, matching findings, suggesting the line
 * that would silence a finding.  See suppress.h for the syntax.
 */
#define _GNU_SOURCE
#include "suppress.h"
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *type;
    const char *kinds[6];
} types[] = {
    {"race", {"data-race", "race", NULL}},
    {"deadlock", {"lock-order-cycle", "lock-order-latent", "deadlock", "stall", NULL}},
    {"misuse", {"misuse", NULL}},
};

int ls_supp_type_covers(const char *type, const char *kind)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(types[i].type, type) != 0)
            continue;
        for (size_t j = 0; types[i].kinds[j]; j++)
            if (!strcmp(types[i].kinds[j], kind))
                return 1;
    }
    return 0;
}

const char *ls_supp_type_for(const char *kind)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (ls_supp_type_covers(types[i].type, kind))
            return types[i].type;
    return NULL;
}

static int known_type(const char *t, size_t n)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].type) == n && !strncmp(types[i].type, t, n))
            return 1;
    return 0;
}

static int bad(const char *name, int line, const char *what, const char *arg)
{
    return error("bad suppression at '%s:%d': %s%s%s%s", name, line, what, arg ? " '" : "",
                 arg ? arg : "", arg ? "'" : "");
}

/* An unescaped '[' with no ']' after it ("\\[" is a plain '['). */
static int unclosed_bracket(const char *pat)
{
    for (const char *p = pat; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '[' && !strchr(p + 1, ']'))
            return 1;
    }
    return 0;
}

static int parse_line(struct ls_suppressions *s, const char *b, const char *e, const char *name,
                      int lineno)
{
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    if (b == e || *b == '#')
        return 0;
    char *line = xstrndup(b, (size_t)(e - b));
    int rc = 0;
    const char *colon = strchr(line, ':');
    if (!colon) {
        rc = bad(name, lineno, "expected TYPE:PATTERN (race, deadlock or misuse), got", line);
    } else if (!known_type(line, (size_t)(colon - line))) {
        char *t = xstrndup(line, (size_t)(colon - line));
        rc = bad(name, lineno, "unknown type (expected race, deadlock or misuse):", t);
        free(t);
    } else {
        const char *pat = colon + 1;
        while (*pat == ' ' || *pat == '\t')
            pat++;
        if (!*pat) {
            rc = bad(name, lineno, "empty pattern after", line);
        } else if (strpbrk(pat, " \t")) {
            rc = bad(name, lineno, "a pattern has no spaces (one rule per line):", pat);
        } else if (unclosed_bracket(pat)) {
            rc = bad(name, lineno, "unclosed '[' in pattern", pat);
        } else {
            LS_GROW(s->rules, s->cap, s->n + 1);
            struct ls_supp_rule *r = &s->rules[s->n++];
            memset(r, 0, sizeof *r);
            r->type = xstrndup(line, (size_t)(colon - line));
            r->pattern = xstrdup(pat);
            struct strbuf sb;
            sb_init(&sb);
            sb_printf(&sb, "%s:%s", r->type, r->pattern);
            r->text = sb_detach(&sb);
            r->file = xstrdup(name);
            r->line = lineno;
        }
    }
    free(line);
    return rc;
}

int ls_supp_parse(struct ls_suppressions *s, const char *text, const char *name)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        const char *e = nl ? nl : p + strlen(p);
        if (parse_line(s, p, e, name, ++lineno) != 0)
            return -1;
        p = nl ? nl + 1 : e;
    }
    return 0;
}

int ls_supp_load(struct ls_suppressions *s, const char *path)
{
    struct strbuf sb;
    sb_init(&sb);
    if (sb_read_file(&sb, path, "suppressions") != 0) {
        sb_free(&sb);
        return -1;
    }
    if (sb.len && strlen(sb.buf) != sb.len) {
        sb_free(&sb);
        return error("cannot read suppressions '%s': it is not a text file", path);
    }
    free(s->file);
    s->file = xstrdup(path);
    int rc = ls_supp_parse(s, sb.buf ? sb.buf : "", path);
    sb_free(&sb);
    return rc;
}

void ls_supp_free(struct ls_suppressions *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->rules[i].type);
        free(s->rules[i].pattern);
        free(s->rules[i].text);
        free(s->rules[i].file);
    }
    free(s->rules);
    free(s->file);
    memset(s, 0, sizeof *s);
}

/* Every name a finding carries, passed to fn until it returns non-zero. */
typedef int (*name_fn)(void *arg, const char *name);

static int path_names(const char *path, name_fn fn, void *arg)
{
    if (!path)
        return 0;
    if (fn(arg, path))
        return 1;
    const char *base = ls_basename(path);
    return base != path && fn(arg, base);
}

static int stack_names(const struct ls_fstack *s, name_fn fn, void *arg)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct ls_fframe *f = &s->frames[i];
        if ((f->function && fn(arg, f->function)) || path_names(f->file, fn, arg) ||
            path_names(f->module, fn, arg))
            return 1;
    }
    return 0;
}

static int thread_names(const struct ls_fthread *t, name_fn fn, void *arg)
{
    return stack_names(&t->created_at, fn, arg);
}

/* When a kind adds stacks or names to struct ls_finding, add them here. */
static int finding_names(const struct ls_finding *f, name_fn fn, void *arg)
{
    for (size_t i = 0; i < f->nlocks; i++) {
        const struct ls_flock *l = &f->locks[i];
        if ((l->name && fn(arg, l->name)) || (l->label && fn(arg, l->label)) ||
            stack_names(&l->site, fn, arg))
            return 1;
    }
    for (size_t i = 0; i < f->nedges; i++) {
        const struct ls_fedge *e = &f->edges[i];
        if (stack_names(&e->to_stack, fn, arg) || stack_names(&e->from_stack, fn, arg) ||
            thread_names(&e->thread, fn, arg))
            return 1;
    }
    for (size_t i = 0; i < f->nwaiters; i++) {
        const struct ls_fwaiter *w = &f->waiters[i];
        if (stack_names(&w->wait_stack, fn, arg) || thread_names(&w->thread, fn, arg))
            return 1;
        for (size_t j = 0; j < w->nheld; j++)
            if (stack_names(&w->held[j].stack, fn, arg))
                return 1;
    }
    if (f->var.name && fn(arg, f->var.name))
        return 1;
    for (size_t i = 0; i < 2; i++)
        if (stack_names(&f->access[i].stack, fn, arg) ||
            thread_names(&f->access[i].thread, fn, arg))
            return 1;
    return stack_names(&f->stack, fn, arg) || stack_names(&f->stack2, fn, arg) ||
           thread_names(&f->thread, fn, arg);
}

static int glob_hit(void *arg, const char *name)
{
    return fnmatch((const char *)arg, name, 0) == 0;
}

int ls_supp_matches(const char *type, const char *pattern, const struct ls_finding *f)
{
    if (!ls_supp_type_covers(type, ls_finding_kind_name(f->kind)))
        return 0;
    return finding_names(f, glob_hit, (void *)pattern);
}

struct ls_supp_rule *ls_supp_match(const struct ls_suppressions *s, const struct ls_finding *f)
{
    for (size_t i = 0; i < s->n; i++)
        if (ls_supp_matches(s->rules[i].type, s->rules[i].pattern, f))
            return &s->rules[i];
    return NULL;
}

/* fnmatch treats * ? [ \ specially: a name containing them is escaped. */
static char *glob_quote(const char *name)
{
    struct strbuf sb;
    sb_init(&sb);
    for (const char *p = name; *p; p++) {
        if (strchr("*?[\\", *p))
            sb_add(&sb, "\\", 1);
        sb_add(&sb, p, 1);
    }
    return sb_detach(&sb);
}

/* A pattern is usable in a suggestion if a rule line can hold it. */
static char *try_name(const char *type, const char *name, const struct ls_finding *f)
{
    if (!name || !*name || strpbrk(name, " \t\r\n#"))
        return NULL;
    char *pat = glob_quote(name);
    char *out = NULL;
    if (ls_supp_matches(type, pat, f)) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s:%s", type, pat);
        out = sb_detach(&sb);
    }
    free(pat);
    return out;
}

char *ls_supp_suggest(const struct ls_finding *f)
{
    const char *type = ls_supp_type_for(ls_finding_kind_name(f->kind));
    if (!type)
        return NULL;
    char *s = NULL;
    /* A race is best named by its variable. */
    if (f->var.name)
        s = try_name(type, f->var.name, f);
    if (!s && f->summary)
        s = try_name(type, f->summary->function, f);
    for (size_t i = 0; !s && i < f->nlocks; i++)
        s = try_name(type, f->locks[i].name, f);
    if (!s && f->summary && f->summary->file)
        s = try_name(type, ls_basename(f->summary->file), f);
    /* Any function of any stack, as a last resort. */
    const struct ls_fstack *stacks[] = {&f->stack, &f->access[0].stack,
                                        f->nedges ? &f->edges[0].to_stack : NULL,
                                        f->nwaiters ? &f->waiters[0].wait_stack : NULL};
    for (size_t k = 0; !s && k < sizeof stacks / sizeof stacks[0]; k++) {
        if (!stacks[k])
            continue;
        for (size_t i = 0; !s && i < stacks[k]->n; i++)
            s = try_name(type, stacks[k]->frames[i].function, f);
    }
    return s;
}
