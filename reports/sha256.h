/*
 * SHA-256 (FIPS 180-4), for the HTML report's Content-Security-Policy: the
 * page allows only the script whose hash it names, so markup that slipped
 * through escaping still could not run script.
 */
#ifndef LS_SHA256_H
#define LS_SHA256_H

#include <stddef.h>
#include <stdint.h>

void ls_sha256(const void *data, size_t len, uint8_t out[32]);
/* Standard base64 (with padding) of len bytes into out (4 * ceil(len / 3)
 * + 1 bytes, NUL-terminated). */
void ls_base64(const uint8_t *in, size_t len, char *out);

#endif
