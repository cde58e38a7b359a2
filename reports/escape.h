/*
 * Escaping for the report formats.  Every string that comes from the traced
 * program (thread names, symbols, paths, source lines, command lines) goes
 * through one of these before it reaches a report file.
 *
 * Contract:
 * - ls_esc_html: text content and attribute values (double- or single-
 *   quoted) of HTML and SVG: & < > " ' are replaced by entities; control
 *   characters other than tab and newline become U+FFFD; nothing else is
 *   changed, so valid UTF-8 stays valid.
 * - ls_esc_xml: the same for XML 1.0 (JUnit), which also forbids invalid
 *   UTF-8: each byte of an invalid sequence becomes U+FFFD, and so does every
 *   character XML 1.0 cannot carry (C0 controls other than tab, LF, CR).
 * - ls_esc_json: a JSON string literal with its quotes, "null" for NULL;
 *   also escapes '<', '>' and '&' as \u00XX so that the text is safe to embed
 *   anywhere; invalid UTF-8 bytes become U+FFFD so the file stays valid JSON.
 * - ls_esc_uri_sb: percent-encodes everything but RFC 3986 unreserved
 *   characters and '/', for file paths in URIs.
 */
#ifndef LS_ESCAPE_H
#define LS_ESCAPE_H

#include <stdio.h>

#include "util.h"

void ls_esc_html(FILE *out, const char *s);
void ls_esc_xml(FILE *out, const char *s);
void ls_esc_json(FILE *out, const char *s);

/* The same, appending to a string buffer (used by the unit tests and for
 * building strings that are written later). */
void ls_esc_html_sb(struct strbuf *sb, const char *s);
void ls_esc_xml_sb(struct strbuf *sb, const char *s);
void ls_esc_json_sb(struct strbuf *sb, const char *s);
void ls_esc_uri_sb(struct strbuf *sb, const char *s);

/* Length in bytes of the valid UTF-8 sequence at s, 0 if invalid. */
size_t ls_utf8_len(const unsigned char *s);

#endif
