/*
 * The instruction behind a watchpoint trap (x86-64), decoded with Zydis.
 *
 * A data breakpoint is a trap: it is reported after the instruction ran, so
 * the program counter is the next instruction's, and the registers are as
 * the instruction left them.  From the bytes before the PC and those
 * registers, this module tells the exact address and size of the access,
 * whether it read, wrote or both, whether it was atomic (a LOCK prefix, XCHG
 * with memory), and whether it made the access at all (a CMOVcc whose
 * condition was false loads from memory but the program does not read it).
 *
 * Two steps, so that the first can be cached per PC:
 *  - ls_decode_site: which instruction ends at the PC (the start of the
 *    previous x86 instruction is ambiguous: every start up to 15 bytes back
 *    that decodes to an instruction ending exactly at the PC is kept, and
 *    when they differ they are ranked by how often a linear decode from
 *    further back falls on each of them), and a REP string instruction at
 *    the PC itself (it traps after each iteration, with the PC still on it);
 *  - ls_decode_eval: with the registers at the trap and the watched window,
 *    the access.
 *
 * Both are async-signal-safe once ls_decode_load() succeeded: Zydis decodes
 * into caller memory, without allocating and without global state.  The
 * module depends on nothing else of the shim (the unit tests and the fuzz
 * harness link it alone).
 */
#ifndef LS_DECODE_H
#define LS_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* General registers in hardware order: rax rcx rdx rbx rsp rbp rsi rdi r8-r15. */
enum {
    LS_REG_RAX, LS_REG_RCX, LS_REG_RDX, LS_REG_RBX, LS_REG_RSP, LS_REG_RBP, LS_REG_RSI,
    LS_REG_RDI, LS_REG_R8, LS_REG_R9, LS_REG_R10, LS_REG_R11, LS_REG_R12, LS_REG_R13,
    LS_REG_R14, LS_REG_R15,
    LS_REG_RIP = 16,          /* in a memory operand: RIP-relative */
    LS_REG_NONE = 0xff,
};

/* The registers at the trap: after the instruction. */
struct ls_regs {
    uint64_t r[16];
    uint64_t rflags;
    uint64_t fs_base;         /* the thread pointer (0: unknown: FS operands not computed) */
};

/* One memory operand, compactly. */
enum {
    LS_MEMOP_CLOBBERED = 1,   /* the instruction overwrote its base or index register */
    LS_MEMOP_STRING = 2,      /* a string instruction's [rsi]/[rdi]: advanced after access */
    LS_MEMOP_INEXACT = 4,     /* masked, or VSIB (gather/scatter): some bytes of the range */
    LS_MEMOP_TLS = 8,         /* FS/GS-relative: thread-local, never a global */
    LS_MEMOP_VSIB = 16,       /* vector-indexed: no address from the general registers */
    LS_MEMOP_FS = 32,         /* FS-relative (with LS_MEMOP_TLS): at the thread pointer */
};

struct ls_memop {
    int64_t disp;
    uint32_t size;            /* bytes (a string instruction's: one element) */
    uint8_t base, index, scale; /* LS_REG_*; scale 0 without index */
    uint8_t addr32;           /* 32-bit address size */
    uint8_t access;           /* LS_DEC_READ | LS_DEC_WRITE */
    uint8_t flags;            /* LS_MEMOP_* */
    uint8_t pad[2];
};

struct ls_insn {
    uint8_t back;             /* it starts at pc - back; 0: at the pc (a REP string) */
    uint8_t len;
    uint8_t nmem;             /* memory operands kept (1 or 2) */
    uint8_t cond;             /* CMOVcc: condition code + 1; 0 unconditional */
    uint8_t atomic;
    uint8_t rep;              /* has a REP/REPE/REPNE prefix (string instructions) */
    uint8_t votes;            /* linear decodes from further back that fell on it */
    uint8_t pad;
    struct ls_memop mem[2];
};

#define LS_SITE_MAX 3

/* What ends at a PC, most likely first; plus a REP string instruction at it. */
struct ls_site {
    uint8_t n;                /* candidates in insn[0..n) */
    uint8_t has_rep;          /* rep_insn is a REP string instruction at the pc */
    uint8_t ambiguous;        /* the candidates differ in what they access */
    uint8_t pad[5];
    struct ls_insn insn[LS_SITE_MAX];
    struct ls_insn rep_insn;
};

enum {
    LS_DEC_READ = 1,
    LS_DEC_WRITE = 2,
    LS_DEC_ATOMIC = 4,        /* a locked instruction, or XCHG with memory */
    LS_DEC_INEXACT = 8,       /* the range holds the bytes accessed in the window, but
                                 not all of it need have been: address not computable
                                 (see LS_MEMOP_CLOBBERED, _INEXACT) */
    LS_DEC_NO_ACCESS = 16,    /* CMOVcc with a false condition: the program made no read */
};

struct ls_dec_access {
    uint64_t addr;
    uint64_t size;
    uint32_t flags;           /* LS_DEC_* */
    uint32_t back;            /* the instruction started at pc - back (0: at pc) */
};

/* Loads the decoder (libZydis, with dlopen: a process that never starts a
 * thread never pays for it).  0 on success, -1 if it cannot be loaded (then
 * every other call fails).  Not async-signal-safe; call it first. */
int ls_decode_load(void);

/* What ends at pc.  code points at the byte at pc; code[-before .. after)
 * are readable (the code mapping's bounds).  fstart: how far back the
 * function containing pc starts (a known instruction boundary: decoding
 * forward from it is exact), 0 if unknown.  Returns 0 and fills *out when
 * an instruction that accesses memory ends at pc (or a REP string
 * instruction is at pc), -1 if none does. */
int ls_decode_site(const uint8_t *code, size_t before, size_t after, size_t fstart,
                   struct ls_site *out);

/* The access of site s, trapped at pc with registers r, on the watched
 * window [wlo, wlo + wlen).  Returns 0 with *out, or -1 if no candidate
 * explains a trap on that window. */
int ls_decode_eval(const struct ls_site *s, const struct ls_regs *r, uint64_t pc, uint64_t wlo,
                   uint64_t wlen, struct ls_dec_access *out);

/* A call through memory (`call [rip+fp]`) traps with the pc at its target;
 * the instruction ends at the return address.  Like ls_decode_site, keeping
 * only such calls (code points at the return address). */
int ls_decode_call_site(const uint8_t *code, size_t before, size_t fstart, struct ls_site *out);

/* The start of the function containing pc, from the binary search table of
 * an object's .eh_frame_hdr (hdr, len bytes, at runtime address hdr_addr;
 * PT_GNU_EH_FRAME), or 0 if it has none that this reads.  Every function
 * compiled with unwind tables (gcc's default on x86-64) is in it, stripped
 * or not.  Async-signal-safe. */
uint64_t ls_decode_function_start(const uint8_t *hdr, size_t len, uint64_t hdr_addr,
                                  uint64_t pc);

#endif
