/*
 * Escaping for HTML/SVG, XML, JSON and URIs.  Each escaper appends to a
 * strbuf; the FILE variants escape into a buffer and write it, so there is
 * one implementation per format.
 */
#define _GNU_SOURCE
#include "escape.h"

#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t ls_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return c ? 1 : 0;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = c & (0x3f >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

static void markup(struct strbuf *sb, const char *s, int strict_utf8)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        switch (*p) {
        case '&': sb_adds(sb, "&amp;"); p++; continue;
        case '<': sb_adds(sb, "&lt;"); p++; continue;
        case '>': sb_adds(sb, "&gt;"); p++; continue;
        case '"': sb_adds(sb, "&quot;"); p++; continue;
        case '\'': sb_adds(sb, "&#39;"); p++; continue;
        case '\t':
        case '\n': sb_add(sb, (const char *)p, 1); p++; continue;
        case '\r':
            if (strict_utf8)
                sb_adds(sb, "&#13;");
            else
                sb_adds(sb, replacement);
            p++;
            continue;
        }
        if (*p < 0x20 || *p == 0x7f) {
            sb_adds(sb, replacement);
            p++;
            continue;
        }
        if (*p < 0x80) {
            sb_add(sb, (const char *)p, 1);
            p++;
            continue;
        }
        size_t n = ls_utf8_len(p);
        if (n == 0) {
            /* HTML readers repair bad UTF-8 themselves; XML parsers reject
             * it, so replace it there. */
            if (strict_utf8)
                sb_adds(sb, replacement);
            else
                sb_add(sb, (const char *)p, 1);
            p++;
            continue;
        }
        sb_add(sb, (const char *)p, n);
        p += n;
    }
}

void ls_esc_html_sb(struct strbuf *sb, const char *s)
{
    markup(sb, s, 0);
}

void ls_esc_xml_sb(struct strbuf *sb, const char *s)
{
    markup(sb, s, 1);
}

void ls_esc_json_sb(struct strbuf *sb, const char *s)
{
    if (!s) {
        sb_adds(sb, "null");
        return;
    }
    sb_adds(sb, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        switch (*p) {
        case '"': sb_adds(sb, "\\\""); p++; continue;
        case '\\': sb_adds(sb, "\\\\"); p++; continue;
        case '\n': sb_adds(sb, "\\n"); p++; continue;
        case '\r': sb_adds(sb, "\\r"); p++; continue;
        case '\t': sb_adds(sb, "\\t"); p++; continue;
        case '<':
        case '>':
        case '&': sb_printf(sb, "\\u%04x", *p); p++; continue;
        }
        if (*p < 0x20 || *p == 0x7f) {
            sb_printf(sb, "\\u%04x", *p);
            p++;
            continue;
        }
        if (*p < 0x80) {
            sb_add(sb, (const char *)p, 1);
            p++;
            continue;
        }
        size_t n = ls_utf8_len(p);
        if (n == 0) {
            sb_adds(sb, "\\ufffd");
            p++;
            continue;
        }
        sb_add(sb, (const char *)p, n);
        p += n;
    }
    sb_adds(sb, "\"");
}

void ls_esc_uri_sb(struct strbuf *sb, const char *s)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            sb_add(sb, (const char *)p, 1);
        else
            sb_printf(sb, "%%%02X", *p);
    }
}

typedef void (*sb_escaper)(struct strbuf *, const char *);

static void to_file(FILE *out, const char *s, sb_escaper esc)
{
    struct strbuf sb;
    sb_init(&sb);
    esc(&sb, s);
    if (sb.len)
        fwrite(sb.buf, 1, sb.len, out);
    sb_free(&sb);
}

void ls_esc_html(FILE *out, const char *s)
{
    to_file(out, s, ls_esc_html_sb);
}

void ls_esc_xml(FILE *out, const char *s)
{
    to_file(out, s, ls_esc_xml_sb);
}

void ls_esc_json(FILE *out, const char *s)
{
    to_file(out, s, ls_esc_json_sb);
}
