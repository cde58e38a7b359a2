/*
 * libFuzzer harness: the shim's decoding of the instruction behind a
 * watchpoint trap (preload/decode.c, built here alone), on any bytes and
 * any registers.  In the shim this runs in a signal handler: whatever the
 * program's text holds, it must never crash or read outside the bytes it
 * was given.
 *
 * The input is: a header (the registers at the trap, the window, where the
 * pc is in the code bytes, how far back the function starts), then the
 * code bytes.  The code is copied into a buffer of exactly its size, so
 * that ASan sees any read beyond it.
 *
 * Properties checked besides "no crash, no undefined behaviour":
 *  - a site holds at most LS_SITE_MAX candidates, each ending at the pc;
 *  - an access the evaluation returns touches the window (an exact one has
 *    the size of one of the candidate's operands, an inexact one lies
 *    inside the window);
 *  - the function-start lookup never returns an address after the pc.
 */
#define _GNU_SOURCE
#include "decode.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_decode: %s\n", what);                       \
            abort();                                                          \
        }                                                                     \
    } while (0)

struct header {
    uint64_t r[16];
    uint64_t rflags;
    uint64_t pc;              /* the pc's runtime address */
    uint64_t wlo;             /* the window */
    uint8_t wlen;             /* taken as 1..8 */
    uint8_t at;               /* code bytes before the pc (at most the code's size) */
    uint16_t fstart;          /* how far back the function starts (0: unknown) */
    uint8_t call;             /* decode as a call through memory */
    uint8_t pad[3];
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (ls_decode_load() != 0) {
        fprintf(stderr, "fuzz_decode: libZydis.so.4.0 cannot be loaded\n");
        abort();
    }
    return 0;
}

static void check_site(const struct ls_site *s)
{
    CHECK(s->n <= LS_SITE_MAX, "more candidates than a site holds");
    for (int i = 0; i < s->n; i++) {
        CHECK(s->insn[i].back == s->insn[i].len && s->insn[i].len >= 1 && s->insn[i].len <= 15,
              "a candidate does not end at the pc");
        CHECK(s->insn[i].nmem >= 1 && s->insn[i].nmem <= 2, "a candidate without memory operand");
    }
    if (s->has_rep)
        CHECK(s->rep_insn.back == 0 && s->rep_insn.rep, "the REP candidate is not at the pc");
}

static void check_access(const struct ls_site *s, const struct ls_dec_access *a, uint64_t wlo,
                         uint64_t wlen)
{
    CHECK(a->size > 0, "an access of no bytes");
    CHECK(a->addr + a->size > a->addr, "an access that wraps around");
    CHECK(a->addr < wlo + wlen && wlo < a->addr + a->size, "an access that misses the window");
    if (a->flags & LS_DEC_INEXACT) {
        CHECK(a->addr >= wlo && a->addr + a->size <= wlo + wlen,
              "an inexact access beyond its window");
        return;
    }
    int sized = 0;
    const struct ls_insn *all[LS_SITE_MAX + 1];
    int n = 0;
    for (int i = 0; i < s->n; i++)
        all[n++] = &s->insn[i];
    if (s->has_rep)
        all[n++] = &s->rep_insn;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < all[i]->nmem; k++)
            sized |= all[i]->mem[k].size == a->size;
    CHECK(sized, "an exact access of a size no operand has");
}

/* A .eh_frame_hdr made of the code bytes themselves: the lookup must stay
 * inside whatever it is given. */
static void check_function_start(const uint8_t *code, size_t n, uint64_t pc)
{
    uint64_t f = ls_decode_function_start(code, n, pc & ~0xfffull, pc);
    CHECK(f <= pc, "a function that starts after the pc");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct header h;
    if (size < sizeof h)
        return 0;
    memcpy(&h, data, sizeof h);
    size_t n = size - sizeof h;
    uint8_t *code = malloc(n ? n : 1);
    if (!code)
        return 0;
    memcpy(code, data + sizeof h, n);
    size_t at = h.at <= n ? h.at : n;
    uint64_t wlen = (h.wlen & 7) + 1;
    struct ls_regs r;
    memcpy(r.r, h.r, sizeof r.r);
    r.rflags = h.rflags;
    struct ls_site s;
    size_t fstart = h.fstart <= at ? h.fstart : 0;
    int rc = h.call & 1 ? ls_decode_call_site(code + at, at, fstart, &s)
                        : ls_decode_site(code + at, at, n - at, fstart, &s);
    if (rc == 0) {
        check_site(&s);
        struct ls_dec_access a;
        if (ls_decode_eval(&s, &r, h.pc, h.wlo, wlen, &a) == 0)
            check_access(&s, &a, h.wlo, wlen);
        /* A window of no bytes explains nothing. */
        if (ls_decode_eval(&s, &r, h.pc, h.wlo, 0, &a) == 0)
            CHECK(0, "an access found in a window of no bytes");
    }
    check_function_start(code, n, h.pc);
    free(code);
    return 0;
}
