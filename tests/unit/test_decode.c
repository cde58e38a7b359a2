/*
 * The shim's instruction decoding (preload/decode.c) on instruction bytes
 * recorded from `gcc -O1 -g -pthread` output, with the registers a trap
 * would report: no hardware needed.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "decode.h"

#define PC 0x401000u /* where the trapping pc is, in the "program" */

struct code {
    uint8_t b[96];
    size_t at;               /* index of the byte at PC */
    size_t n;
};

/* before: bytes up to the pc; after: bytes from it. */
static struct code code_of(const uint8_t *before, size_t nb, const uint8_t *after, size_t na)
{
    struct code c;
    memset(&c, 0xcc, sizeof c.b);
    cr_assert_leq(nb + na, sizeof c.b);
    memcpy(c.b, before, nb);
    memcpy(c.b + nb, after, na);
    c.at = nb;
    c.n = nb + na;
    return c;
}

static int site(const struct code *c, struct ls_site *s)
{
    return ls_decode_site(c->b + c->at, c->at, c->n - c->at, 0, s);
}

static void init(void)
{
    cr_assert_eq(ls_decode_load(), 0, "libZydis cannot be loaded");
}

TestSuite(decode, .init = init);

static const uint8_t ret[] = {0xc3};
static const struct ls_regs zero_regs;

/* The access of a trap at PC, right after the bytes b (a ret follows), on
 * the window [wlo, + wlen), with registers r: found, or the test fails. */
static struct ls_dec_access trapped(const uint8_t *b, size_t n, const struct ls_regs *r,
                                    uint64_t wlo, uint64_t wlen)
{
    struct code c = code_of(b, n, ret, sizeof ret);
    struct ls_site s;
    cr_assert_eq(site(&c, &s), 0);
    struct ls_dec_access a;
    cr_assert_eq(ls_decode_eval(&s, r, PC, wlo, wlen, &a), 0);
    return a;
}

#define EXPECT(a, at, bytes, fl)                                                            \
    do {                                                                                    \
        cr_assert_eq((a).addr, (uint64_t)(at), "address 0x%llx", (unsigned long long)(a).addr); \
        cr_assert_eq((a).size, (uint64_t)(bytes), "size %llu", (unsigned long long)(a).size); \
        cr_assert_eq((a).flags, (uint32_t)(fl), "flags %#x", (a).flags);                    \
    } while (0)

/* lea rax,[rip+cells]; mov [rax+rdi*4],esi: a PIE array store. */
Test(decode, indexed_store)
{
    static const uint8_t b[] = {0x48, 0x63, 0xff, 0x48, 0x8d, 0x05, 0x00, 0x10, 0x00, 0x00,
                                0x89, 0x34, 0xb8};
    struct ls_regs r = {0};
    r.r[LS_REG_RAX] = 0x404040;
    r.r[LS_REG_RDI] = 2;
    struct ls_dec_access a = trapped(b, sizeof b, &r, 0x404048, 8);
    EXPECT(a, 0x404048, 4, LS_DEC_WRITE);
    cr_assert_eq(a.back, 3u);
}

/* mov eax,[rax+rdi*4]: the load overwrote its own base register, so the
 * address cannot be computed from the registers at the trap. */
Test(decode, clobbered_base_is_inexact)
{
    static const uint8_t b[] = {0x48, 0x63, 0xff, 0x48, 0x8d, 0x05, 0x00, 0x10, 0x00, 0x00,
                                0x8b, 0x04, 0xb8};
    struct code c = code_of(b, sizeof b, ret, sizeof ret);
    struct ls_site s;
    cr_assert_eq(site(&c, &s), 0);
    cr_assert(s.insn[0].mem[0].flags & LS_MEMOP_CLOBBERED);
    struct ls_regs r = {0};
    r.r[LS_REG_RAX] = 7; /* the loaded value, not the base */
    r.r[LS_REG_RDI] = 1;
    struct ls_dec_access a;
    cr_assert_eq(ls_decode_eval(&s, &r, PC, 0x404040, 8, &a), 0);
    cr_assert_eq(a.flags, LS_DEC_READ | LS_DEC_INEXACT);
    cr_assert_eq(a.addr, 0x404040u, "an inexact access is known only to its window");
    cr_assert_eq(a.size, 8u);
}

/* addl $1,[rip+g]: a read-modify-write, not atomic. */
Test(decode, rmw_rip_relative)
{
    static const uint8_t b[] = {0x83, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01};
    struct ls_dec_access a = trapped(b, sizeof b, &zero_regs, PC + 0x10, 4);
    EXPECT(a, PC + 0x10, 4, LS_DEC_READ | LS_DEC_WRITE);
    /* A window elsewhere: this instruction does not explain the trap. */
    struct code c = code_of(b, sizeof b, ret, sizeof ret);
    struct ls_site s;
    cr_assert_eq(site(&c, &s), 0);
    cr_assert_eq(ls_decode_eval(&s, &zero_regs, PC, PC + 0x100, 8, &a), -1);
}

/* lock addl $1,[rip+g] (__atomic_fetch_add, __sync_fetch_and_add). */
Test(decode, lock_add_is_atomic)
{
    static const uint8_t b[] = {0xf0, 0x83, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01};
    struct ls_dec_access a = trapped(b, sizeof b, &zero_regs, PC + 0x10, 4);
    EXPECT(a, PC + 0x10, 4, LS_DEC_READ | LS_DEC_WRITE | LS_DEC_ATOMIC);
    cr_assert_eq(a.back, 8u, "the LOCK prefix belongs to the instruction");
}

/* mov eax,5; lock xadd [rip+lg],rax: writes rax, which is not its base. */
Test(decode, lock_xadd)
{
    static const uint8_t b[] = {0xb8, 0x05, 0x00, 0x00, 0x00, 0xf0, 0x48, 0x0f,
                                0xc1, 0x05, 0x20, 0x00, 0x00, 0x00};
    struct ls_dec_access a = trapped(b, sizeof b, &zero_regs, PC + 0x20, 8);
    EXPECT(a, PC + 0x20, 8, LS_DEC_READ | LS_DEC_WRITE | LS_DEC_ATOMIC);
}

/* xchg [rip+g],eax: atomic without a LOCK prefix. */
Test(decode, xchg_is_atomic)
{
    static const uint8_t b[] = {0x89, 0xf8, 0x87, 0x05, 0x10, 0x00, 0x00, 0x00};
    struct ls_dec_access a = trapped(b, sizeof b, &zero_regs, PC + 0x10, 4);
    EXPECT(a, PC + 0x10, 4, LS_DEC_READ | LS_DEC_WRITE | LS_DEC_ATOMIC);
}

/* cmp edi,5; mov eax,esi; cmovg eax,[rip+g]: `if (c > 5) r = g;` */
Test(decode, cmov_condition)
{
    static const uint8_t b[] = {0x83, 0xff, 0x05, 0x89, 0xf0, 0x0f, 0x4f, 0x05,
                                0x10, 0x00, 0x00, 0x00};
    struct ls_regs r = {0};
    /* c = 3: cmp sets SF (3 - 5 < 0), OF clear: "greater" is false. */
    r.rflags = 1u << 7 | 1u << 0;
    EXPECT(trapped(b, sizeof b, &r, PC + 0x10, 4), PC + 0x10, 4, LS_DEC_READ | LS_DEC_NO_ACCESS);
    /* c = 9: no flag set: "greater" is true, the read is the program's. */
    r.rflags = 0;
    EXPECT(trapped(b, sizeof b, &r, PC + 0x10, 4), PC + 0x10, 4, LS_DEC_READ);
}

/* movb $1,[rip+S+5]: one byte. */
Test(decode, byte_store)
{
    static const uint8_t b[] = {0xc6, 0x05, 0x15, 0x00, 0x00, 0x00, 0x01};
    EXPECT(trapped(b, sizeof b, &zero_regs, PC + 0x10, 8), PC + 0x15, 1, LS_DEC_WRITE);
}

/* pxor xmm0,xmm0; movaps [rip+big],xmm0: a vector store's 16 bytes. */
Test(decode, vector_store)
{
    static const uint8_t b[] = {0x66, 0x0f, 0xef, 0xc0, 0x0f, 0x29, 0x05, 0x30, 0x00, 0x00, 0x00};
    EXPECT(trapped(b, sizeof b, &zero_regs, PC + 0x38, 8), PC + 0x30, 16, LS_DEC_WRITE);
}

/* rep stosq, trapped after an iteration with iterations left: the pc is
 * still on it; the element just written is [rdi - 8]. */
Test(decode, rep_stos_mid_iteration)
{
    static const uint8_t b[] = {0x31, 0xc0, 0xb9, 0x08, 0x00, 0x00, 0x00};
    static const uint8_t at[] = {0xf3, 0x48, 0xab, 0xc3};
    struct code c = code_of(b, sizeof b, at, sizeof at);
    struct ls_site s;
    cr_assert_eq(site(&c, &s), 0);
    cr_assert(s.has_rep);
    struct ls_regs r = {0};
    r.r[LS_REG_RCX] = 5;
    r.r[LS_REG_RDI] = 0x404058;
    struct ls_dec_access a;
    cr_assert_eq(ls_decode_eval(&s, &r, PC, 0x404050, 8, &a), 0);
    cr_assert_eq(a.addr, 0x404050u);
    cr_assert_eq(a.size, 8u);
    cr_assert_eq(a.flags, LS_DEC_WRITE);
    cr_assert_eq(a.back, 0u);
    /* Backwards (DF set): the element is [rdi + 8]. */
    r.rflags = 1u << 10;
    r.r[LS_REG_RDI] = 0x404048;
    cr_assert_eq(ls_decode_eval(&s, &r, PC, 0x404050, 8, &a), 0);
    cr_assert_eq(a.addr, 0x404050u);
}

/* The last iteration of rep movsb: the pc is past it; the write side of
 * [rdi - 1] is the one on the window. */
Test(decode, rep_movs_last_iteration)
{
    static const uint8_t b[] = {0xb9, 0x10, 0x00, 0x00, 0x00, 0xf3, 0xa4};
    struct ls_regs r = {0};
    r.r[LS_REG_RSI] = 0x405010;
    r.r[LS_REG_RDI] = 0x404010;
    EXPECT(trapped(b, sizeof b, &r, 0x404008, 8), 0x40400f, 1, LS_DEC_WRITE);
    /* the read side, when the source is the one watched */
    EXPECT(trapped(b, sizeof b, &r, 0x405008, 8), 0x40500f, 1, LS_DEC_READ);
}

/* 32-bit addressing (0x67): mov [eax],ebx wraps at 4 GB. */
Test(decode, address_size_override)
{
    static const uint8_t b[] = {0x67, 0x89, 0x18};
    struct ls_regs r = {0};
    r.r[LS_REG_RAX] = 0xffffffff00601000ull;
    EXPECT(trapped(b, sizeof b, &r, 0x601000, 4), 0x601000, 4, LS_DEC_WRITE);
}

/* mov al,0x66; mov [rip+x],eax.  Read backwards, the 0x66 of the first
 * instruction also makes "mov word [rip+x],ax" end at the pc; a linear
 * decode from further back tells them apart. */
Test(decode, ambiguous_start)
{
    static const uint8_t b[] = {0x48, 0x63, 0xff, 0x48, 0x8d, 0x15, 0x00, 0x10, 0x00, 0x00,
                                0x89, 0x34, 0xba, 0x48, 0x89, 0xc1, 0x31, 0xd2, 0x48, 0x83,
                                0xc1, 0x01, 0xb0, 0x66, 0x89, 0x05, 0x10, 0x00, 0x00, 0x00};
    struct code c = code_of(b, sizeof b, ret, sizeof ret);
    struct ls_site s;
    cr_assert_eq(site(&c, &s), 0);
    cr_assert_eq(s.insn[0].back, 6u, "the real start ranks first (%u)", s.insn[0].back);
    for (int i = 1; i < s.n; i++)
        cr_assert_lt(s.insn[i].votes, s.insn[0].votes);
    struct ls_regs r = {0};
    struct ls_dec_access a;
    cr_assert_eq(ls_decode_eval(&s, &r, PC, PC + 0x10, 4, &a), 0);
    cr_assert_eq(a.size, 4u);
}

/* call [rip+fp] traps at its target; decoded at the return address. */
Test(decode, call_through_memory)
{
    static const uint8_t b[] = {0x31, 0xc0, 0xff, 0x15, 0x40, 0x00, 0x00, 0x00};
    struct code c = code_of(b, sizeof b, ret, sizeof ret);
    struct ls_site s;
    cr_assert_eq(ls_decode_call_site(c.b + c.at, c.at, 0, &s), 0);
    struct ls_regs r = {0};
    struct ls_dec_access a;
    cr_assert_eq(ls_decode_eval(&s, &r, PC, PC + 0x40, 8, &a), 0);
    cr_assert_eq(a.addr, PC + 0x40u);
    cr_assert_eq(a.size, 8u);
    cr_assert_eq(a.flags, LS_DEC_READ);
}

/* A thread-local access (fs:) is never a global's. */
Test(decode, tls_never_matches)
{
    static const uint8_t b[] = {0x64, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00};
    struct code c = code_of(b, sizeof b, ret, sizeof ret);
    struct ls_site s;
    cr_assert_eq(site(&c, &s), 0);
    struct ls_regs r = {0};
    struct ls_dec_access a;
    cr_assert_eq(ls_decode_eval(&s, &r, PC, 0x10, 8, &a), -1);
}

/* Bytes no instruction decodes from, no bytes at all, a window of 0:
 * refused, never a crash. */
Test(decode, rejected)
{
    static const uint8_t junk[] = {0x0f, 0x0b, 0x0f, 0x0b, 0x0f, 0x0b, 0x0f, 0x0b};
    struct code c = code_of(junk, sizeof junk, junk, sizeof junk);
    struct ls_site s;
    cr_assert_eq(site(&c, &s), -1);
    cr_assert_eq(ls_decode_site(c.b + c.at, 0, 0, 0, &s), -1);
    static const uint8_t b[] = {0x89, 0x05, 0x10, 0x00, 0x00, 0x00};
    struct code d = code_of(b, sizeof b, ret, sizeof ret);
    cr_assert_eq(site(&d, &s), 0);
    struct ls_regs r = {0};
    struct ls_dec_access a;
    cr_assert_eq(ls_decode_eval(&s, &r, PC, PC + 0x10, 0, &a), -1);
}

/* Prefetches and multi-byte nops name memory they do not access. */
Test(decode, not_accesses)
{
    static const uint8_t nop[] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
    static const uint8_t pf[] = {0x0f, 0x18, 0x0d, 0x10, 0x00, 0x00, 0x00};
    struct ls_site s;
    struct code c = code_of(nop, sizeof nop, ret, sizeof ret);
    cr_assert_eq(site(&c, &s), -1);
    c = code_of(pf, sizeof pf, ret, sizeof ret);
    cr_assert_eq(site(&c, &s), -1);
}
