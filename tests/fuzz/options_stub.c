/*
 * What preload/options.c needs from the rest of the shim (shim.h), for
 * fuzz_options: ls_warn formats its message like the shim's (so a bad
 * format argument still reaches the sanitizers) and writes it nowhere;
 * ls_strlcpy is the shim's.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ls_warn(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
}

size_t ls_strlcpy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (n) {
        size_t c = len < n - 1 ? len : n - 1;
        memcpy(dst, src, c);
        dst[c] = 0;
    }
    return len;
}
