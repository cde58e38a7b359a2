/*
 * Reading a baseline: a small, strict JSON parser (RFC 8259) that checks the
 * whole document and keeps the ids of the findings.
 */
#define _GNU_SOURCE
#include "baseline.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum role { R_ROOT, R_FINDINGS, R_FINDING, R_OTHER };

struct parser {
    const char *s, *end, *p;
    const char *name;
    struct ls_baseline *b;
    char err[160];
    int is_lockscope, has_findings;
};

static int fail(struct parser *ps, const char *what)
{
    if (!ps->err[0])
        snprintf(ps->err, sizeof ps->err, "offset %zu: %s", (size_t)(ps->p - ps->s), what);
    return -1;
}

static void ws(struct parser *ps)
{
    while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
        ps->p++;
}

static int lit(struct parser *ps, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
        return fail(ps, "invalid literal");
    ps->p += n;
    return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    else
        b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    sb_add(sb, b, n);
}

static int hex4(struct parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4)
        return fail(ps, "short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail(ps, "bad \\u escape");
    }
    *out = v;
    return 0;
}

/* A string; its decoded text goes to out if out is not NULL. */
static int string(struct parser *ps, struct strbuf *out)
{
    if (ps->p >= ps->end || *ps->p != '"')
        return fail(ps, "expected a string");
    ps->p++;
    struct strbuf tmp;
    sb_init(&tmp);
    struct strbuf *sb = out ? out : &tmp;
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            sb_free(&tmp);
            return fail(ps, "control character in a string");
        }
        if (c != '\\') {
            sb_add(sb, ps->p++, 1);
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end)
            break;
        char e = *ps->p++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (simple && e) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            sb_add(sb, &map[simple - "\"\\/bfnrt"], 1);
        } else if (e == 'u') {
            unsigned cp, lo;
            if (hex4(ps, &cp) != 0) {
                sb_free(&tmp);
                return -1;
            }
            if (cp >= 0xd800 && cp <= 0xdbff && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                ps->p += 2;
                if (hex4(ps, &lo) != 0) {
                    sb_free(&tmp);
                    return -1;
                }
                if (lo >= 0xdc00 && lo <= 0xdfff)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    cp = 0xfffd;
            } else if (cp >= 0xd800 && cp <= 0xdfff) {
                cp = 0xfffd;
            }
            put_utf8(sb, cp);
        } else {
            sb_free(&tmp);
            return fail(ps, "bad escape in a string");
        }
    }
    sb_free(&tmp);
    if (ps->p >= ps->end)
        return fail(ps, "unterminated string");
    ps->p++;
    return 0;
}

static int number(struct parser *ps)
{
    const char *q = ps->p;
    if (q < ps->end && *q == '-')
        q++;
    if (q >= ps->end || !(*q >= '0' && *q <= '9'))
        return fail(ps, "expected a value");
    if (*q == '0')
        q++;
    else
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    if (q < ps->end && *q == '.') {
        q++;
        if (q >= ps->end || !(*q >= '0' && *q <= '9'))
            return fail(ps, "bad number");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || !(*q >= '0' && *q <= '9'))
            return fail(ps, "bad number");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    ps->p = q;
    return 0;
}

static int value(struct parser *ps, enum role role, int depth);

static void add_id(struct ls_baseline *b, const char *id)
{
    LS_GROW(b->ids, b->cap, b->n + 1);
    b->ids[b->n++] = xstrdup(id);
}

static int object(struct parser *ps, enum role role, int depth)
{
    ps->p++; /* '{' */
    ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        struct strbuf key;
        sb_init(&key);
        ws(ps);
        if (string(ps, &key) != 0) {
            sb_free(&key);
            return -1;
        }
        ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            sb_free(&key);
            return fail(ps, "expected ':'");
        }
        ps->p++;
        ws(ps);
        const char *k = key.buf ? key.buf : "";
        int rc;
        if (role == R_ROOT && !strcmp(k, "tool")) {
            struct strbuf v;
            sb_init(&v);
            rc = string(ps, &v);
            ps->is_lockscope = rc == 0 && v.buf && !strcmp(v.buf, "lockscope");
            sb_free(&v);
        } else if (role == R_ROOT && !strcmp(k, "findings")) {
            ps->has_findings = 1;
            if (ps->p >= ps->end || *ps->p != '[')
                rc = fail(ps, "\"findings\" is not an array");
            else
                rc = value(ps, R_FINDINGS, depth + 1);
        } else if (role == R_FINDING && !strcmp(k, "id")) {
            struct strbuf v;
            sb_init(&v);
            rc = string(ps, &v);
            if (rc == 0)
                add_id(ps->b, v.buf ? v.buf : "");
            sb_free(&v);
        } else {
            rc = value(ps, R_OTHER, depth + 1);
        }
        sb_free(&key);
        if (rc != 0)
            return -1;
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return 0;
        }
        return fail(ps, "expected ',' or '}'");
    }
}

static int array(struct parser *ps, enum role role, int depth)
{
    ps->p++; /* '[' */
    ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return 0;
    }
    for (;;) {
        ws(ps);
        if (role == R_FINDINGS && (ps->p >= ps->end || *ps->p != '{'))
            return fail(ps, "a finding is not an object");
        if (value(ps, role == R_FINDINGS ? R_FINDING : R_OTHER, depth + 1) != 0)
            return -1;
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return 0;
        }
        return fail(ps, "expected ',' or ']'");
    }
}

static int value(struct parser *ps, enum role role, int depth)
{
    if (depth > 64)
        return fail(ps, "nested too deeply");
    ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end of file");
    switch (*ps->p) {
    case '{': return object(ps, role, depth);
    case '[': return array(ps, role, depth);
    case '"': return string(ps, NULL);
    case 't': return lit(ps, "true");
    case 'f': return lit(ps, "false");
    case 'n': return lit(ps, "null");
    default: return number(ps);
    }
}

int ls_baseline_parse(struct ls_baseline *b, const char *text, size_t len, const char *name)
{
    struct parser ps = {.s = text, .end = text + len, .p = text, .name = name, .b = b};
    ws(&ps);
    if (ps.p >= ps.end)
        return error("cannot use baseline '%s': the file is empty", name);
    if (*ps.p != '{')
        return error("cannot use baseline '%s': not a lockscope JSON report (no JSON object)",
                     name);
    if (value(&ps, R_ROOT, 0) != 0)
        return error("cannot use baseline '%s': invalid JSON at %s", name, ps.err);
    ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, "text after the JSON object");
        return error("cannot use baseline '%s': invalid JSON at %s", name, ps.err);
    }
    if (!ps.is_lockscope || !ps.has_findings)
        return error("cannot use baseline '%s': not a lockscope JSON report (no \"tool\": "
                     "\"lockscope\" or no \"findings\")",
                     name);
    free(b->file);
    b->file = xstrdup(name);
    free(b->seen);
    b->seen = xcalloc(b->n + 1, 1);
    return 0;
}

int ls_baseline_load(struct ls_baseline *b, const char *path)
{
    struct strbuf sb;
    sb_init(&sb);
    if (sb_read_file(&sb, path, "baseline") != 0) {
        sb_free(&sb);
        return -1;
    }
    int rc = ls_baseline_parse(b, sb.buf ? sb.buf : "", sb.len, path);
    sb_free(&sb);
    return rc;
}

int ls_baseline_has(struct ls_baseline *b, const char *id)
{
    for (size_t i = 0; i < b->n; i++) {
        if (!strcmp(b->ids[i], id)) {
            if (b->seen)
                b->seen[i] = 1;
            return 1;
        }
    }
    return 0;
}

size_t ls_baseline_gone(const struct ls_baseline *b)
{
    size_t gone = 0;
    for (size_t i = 0; i < b->n; i++) {
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = !strcmp(b->ids[i], b->ids[j]);
        gone += !dup && !(b->seen && b->seen[i]);
    }
    return gone;
}

void ls_baseline_free(struct ls_baseline *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->ids[i]);
    free(b->ids);
    free(b->seen);
    free(b->file);
    memset(b, 0, sizeof *b);
}
