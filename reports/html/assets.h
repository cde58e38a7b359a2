/*
 * The HTML report's script and style sheet: reports/html/report.js and
 * report.css, embedded at build time (reports/embed.cmake).  Each array
 * holds the file's bytes followed by a NUL; _len is the byte count without
 * it.  The page's Content-Security-Policy allows the script by the SHA-256
 * of exactly these bytes.
 */
#ifndef LS_HTML_ASSETS_H
#define LS_HTML_ASSETS_H

#include <stddef.h>

extern const char ls_html_script[];
extern const size_t ls_html_script_len;
extern const char ls_html_style[];
extern const size_t ls_html_style_len;

#endif
