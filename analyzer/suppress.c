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

/* A KIND after TYPE.: a kind or rule name, [a-z0-9_-]+. */
static int good_kind(const char *k, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '-' ||
              k[i] == '_'))
            return 0;
    return 1;
}

/* The end of the '&'-separated part of a pattern that starts at p. */
static const char *part_end(const char *p)
{
    for (; *p && *p != '&'; p++)
        if (*p == '\\' && p[1])
            p++;
    return p;
}

/* A pattern with an empty part: "a&&b", "&a", "a&". */
static int empty_part(const char *pat)
{
    for (const char *p = pat;; p++) {
        const char *e = part_end(p);
        if (e == p)
            return 1;
        if (!*e)
            return 0;
        p = e;
    }
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
    const char *dot = colon ? memchr(line, '.', (size_t)(colon - line)) : NULL;
    const char *tend = dot ? dot : colon;
    if (!colon) {
        rc = bad(name, lineno, "expected TYPE:PATTERN (race, deadlock or misuse), got", line);
    } else if (!known_type(line, (size_t)(tend - line))) {
        char *t = xstrndup(line, (size_t)(tend - line));
        rc = bad(name, lineno, "unknown type (expected race, deadlock or misuse):", t);
        free(t);
    } else if (dot && !good_kind(dot + 1, (size_t)(colon - dot - 1))) {
        char *t = xstrndup(line, (size_t)(colon - line));
        rc = bad(name, lineno, "expected TYPE.KIND with a kind or rule name after the dot, got",
                 t);
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
        } else if (empty_part(pat)) {
            rc = bad(name, lineno, "an empty pattern next to '&' in", pat);
        } else {
            LS_GROW(s->rules, s->cap, s->n + 1);
            struct ls_supp_rule *r = &s->rules[s->n++];
            memset(r, 0, sizeof *r);
            r->type = xstrndup(line, (size_t)(tend - line));
            r->kind = dot ? xstrndup(dot + 1, (size_t)(colon - dot - 1)) : NULL;
            r->pattern = xstrdup(pat);
            struct strbuf sb;
            sb_init(&sb);
            sb_printf(&sb, "%s%s%s:%s", r->type, r->kind ? "." : "", r->kind ? r->kind : "",
                      r->pattern);
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
        free(s->rules[i].kind);
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
        if (f->file && f->line > 0) {
            char *at = NULL;
            if (asprintf(&at, "%s:%d", ls_basename(f->file), f->line) < 0)
                die("out of memory");
            int hit = fn(arg, at);
            free(at);
            if (hit)
                return 1;
        }
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

/* Every '&'-separated part of pattern matches some name of f. */
static int all_parts_match(const char *pattern, const struct ls_finding *f)
{
    for (const char *p = pattern;;) {
        const char *e = part_end(p);
        char *part = xstrndup(p, (size_t)(e - p));
        int hit = finding_names(f, glob_hit, part);
        free(part);
        if (!hit)
            return 0;
        if (!*e)
            return 1;
        p = e + 1;
    }
}

static int rule_matches(const char *type, const char *kind, const char *pattern,
                        const struct ls_finding *f)
{
    const char *name = ls_finding_kind_name(f->kind);
    if (!ls_supp_type_covers(type, name))
        return 0;
    if (kind && strcmp(kind, name) != 0 && !(f->rule && !strcmp(kind, f->rule)))
        return 0;
    return all_parts_match(pattern, f);
}

int ls_supp_matches(const char *type, const char *pattern, const struct ls_finding *f)
{
    const char *dot = strchr(type, '.');
    if (!dot)
        return rule_matches(type, NULL, pattern, f);
    char *t = xstrndup(type, (size_t)(dot - type));
    int hit = rule_matches(t, dot + 1, pattern, f);
    free(t);
    return hit;
}

struct ls_supp_rule *ls_supp_match(const struct ls_suppressions *s, const struct ls_finding *f)
{
    for (size_t i = 0; i < s->n; i++)
        if (rule_matches(s->rules[i].type, s->rules[i].kind, s->rules[i].pattern, f))
            return &s->rules[i];
    return NULL;
}

/* fnmatch treats * ? [ \ specially, and '&' separates patterns: a name
 * containing them is escaped. */
static char *glob_quote(const char *name)
{
    struct strbuf sb;
    sb_init(&sb);
    for (const char *p = name; *p; p++) {
        if (strchr("*?[\\&", *p))
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

/* The stack that holds the finding's own site, and the lock or variable
 * involved there (NULL if none). */
static const struct ls_fstack *site_of(const struct ls_finding *f, const char **obj,
                                       const struct ls_flock **lock)
{
    *obj = NULL;
    *lock = NULL;
    switch (f->kind) {
    case LS_FIND_RACE:
        *obj = f->var.name;
        return &f->access[0].stack;
    case LS_FIND_LOCK_ORDER:
    case LS_FIND_LOCK_ORDER_LATENT:
        if (!f->nedges)
            return NULL;
        *lock = &f->locks[f->edges[0].to];
        return &f->edges[0].to_stack;
    case LS_FIND_DEADLOCK:
    case LS_FIND_STALL:
        if (!f->nwaiters)
            return NULL;
        if (f->waiters[0].lock != SIZE_MAX)
            *lock = &f->locks[f->waiters[0].lock];
        return &f->waiters[0].wait_stack;
    default:
        if (f->nlocks)
            *lock = &f->locks[0];
        /* A thread that ends holding a lock ends in no code of the
         * program's: the lock's own stack is the site. */
        size_t first;
        ls_fstack_site(&f->stack, &first, NULL);
        return first < f->stack.n || !f->stack2.n ? &f->stack : &f->stack2;
    }
}

/* A name as one '&' part of a rule: quoted, blanks and '#' as '?'. */
static void add_part(struct strbuf *sb, const char *name)
{
    if (!name || !*name)
        return;
    char *q = glob_quote(name);
    for (char *c = q; *c; c++)
        if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n' || *c == '#')
            *c = '?';
    sb_printf(sb, "%s%s", sb->len ? "&" : "", q);
    free(q);
}

/* TYPE[.KIND]:SITE&OBJECT, if it matches f.  SITE is the function, or
 * BASENAME:LINE in main(), which is the whole program. */
static char *narrow_line(const char *type, const struct ls_finding *f)
{
    const char *obj;
    const struct ls_flock *lock;
    const struct ls_fstack *st = site_of(f, &obj, &lock);
    struct strbuf pat;
    sb_init(&pat);
    if (st) {
        size_t first, k;
        const struct ls_fframe *fr = ls_fstack_site(st, &first, &k);
        if (fr && k < st->n && ls_fstack_is_main(st, k) && fr->file && fr->line > 0) {
            char *at = NULL;
            if (asprintf(&at, "%s:%d", ls_basename(fr->file), fr->line) < 0)
                die("out of memory");
            add_part(&pat, at);
            free(at);
        } else if (fr && k < st->n && fr->function) {
            add_part(&pat, fr->function);
        }
    }
    if (obj && *obj)
        add_part(&pat, obj);
    else if (lock && (lock->name || lock->label))
        add_part(&pat, lock->name ? lock->name : lock->label);
    char *out = NULL;
    if (pat.len && ls_supp_matches(type, pat.buf, f)) {
        struct strbuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s:%s", type, pat.buf);
        out = sb_detach(&sb);
    }
    sb_free(&pat);
    return out;
}

char *ls_supp_suggest(const struct ls_finding *f)
{
    const char *group = ls_supp_type_for(ls_finding_kind_name(f->kind));
    if (!group)
        return NULL;
    /* The kind, where the group has several: the misuse rule, the kind of
     * a deadlock-type finding. */
    struct strbuf tb;
    sb_init(&tb);
    sb_adds(&tb, group);
    if (f->rule)
        sb_printf(&tb, ".%s", f->rule);
    else if (strcmp(group, "race") != 0)
        sb_printf(&tb, ".%s", ls_finding_kind_name(f->kind));
    const char *type = tb.buf;
    char *s = narrow_line(type, f);
    /* Broader, when the site and the object carry no usable name. */
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
    sb_free(&tb);
    return s;
}
