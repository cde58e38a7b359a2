/*
 * The instruction behind a watchpoint trap, decoded with Zydis: see
 * decode.h.  Zydis (libzydis-dev 4.0) decodes into caller memory, without
 * allocating and without global state, which is what a SIGTRAP handler
 * needs; capstone's cs_disasm allocates.  It is loaded with dlopen when
 * watching begins, so a process that never starts a thread never maps it.
 */
#define _GNU_SOURCE
#include "decode.h"

#include <dlfcn.h>
#include <string.h>

#include <Zydis/Zydis.h>

#define MAX_INSN 15           /* the longest x86 instruction */
#define SYNC_FROM 64          /* linear decodes start this far back at most ... */
#define SYNC_TO 16            /* ... and this far at least, */
#define SYNC_STEP 6           /* every SYNC_STEP bytes (eight of them) */

static struct {
    ZyanStatus (*init)(ZydisDecoder *, ZydisMachineMode, ZydisStackWidth);
    ZyanStatus (*full)(const ZydisDecoder *, const void *, ZyanUSize, ZydisDecodedInstruction *,
                       ZydisDecodedOperand *);
    ZyanStatus (*insn)(const ZydisDecoder *, ZydisDecoderContext *, const void *, ZyanUSize,
                       ZydisDecodedInstruction *);
    ZydisRegister (*enclosing)(ZydisMachineMode, ZydisRegister);
    ZyanI8 (*id)(ZydisRegister);
    ZydisRegisterClass (*cls)(ZydisRegister);
    ZyanStatus (*mode)(ZydisDecoder *, ZydisDecoderMode, ZyanBool);
} zy;
static ZydisDecoder decoder;
static ZydisDecoder lengths; /* minimal mode: lengths only, twice as fast */
static int loaded;

int ls_decode_load(void)
{
    if (loaded)
        return loaded > 0 ? 0 : -1;
    /* The soname of Debian's libzydis4.0 (the ABI this was built against). */
    void *h = dlopen("libZydis.so.4.0", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        zy.init = (__typeof__(zy.init))dlsym(h, "ZydisDecoderInit");
        zy.full = (__typeof__(zy.full))dlsym(h, "ZydisDecoderDecodeFull");
        zy.insn = (__typeof__(zy.insn))dlsym(h, "ZydisDecoderDecodeInstruction");
        zy.enclosing = (__typeof__(zy.enclosing))dlsym(h, "ZydisRegisterGetLargestEnclosing");
        zy.id = (__typeof__(zy.id))dlsym(h, "ZydisRegisterGetId");
        zy.cls = (__typeof__(zy.cls))dlsym(h, "ZydisRegisterGetClass");
        zy.mode = (__typeof__(zy.mode))dlsym(h, "ZydisDecoderEnableMode");
    }
    if (!h || !zy.init || !zy.full || !zy.insn || !zy.enclosing || !zy.id || !zy.cls ||
        !zy.mode ||
        !ZYAN_SUCCESS(zy.init(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
        !ZYAN_SUCCESS(zy.init(&lengths, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
        !ZYAN_SUCCESS(zy.mode(&lengths, ZYDIS_DECODER_MODE_MINIMAL, ZYAN_TRUE))) {
        loaded = -1;
        return -1;
    }
    loaded = 1;
    return 0;
}

/* ---- one instruction ---------------------------------------------------- */

/* A general register as LS_REG_*, or LS_REG_NONE. */
static uint8_t gpr(ZydisRegister r)
{
    if (r == ZYDIS_REGISTER_NONE)
        return LS_REG_NONE;
    if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP)
        return LS_REG_RIP;
    ZydisRegister big = zy.enclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    if (zy.cls(big) != ZYDIS_REGCLASS_GPR64)
        return LS_REG_NONE;
    ZyanI8 id = zy.id(big);
    return id >= 0 && id < 16 ? (uint8_t)id : LS_REG_NONE;
}

/* Instructions whose memory operand is no data access of the program's. */
static int not_an_access(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_NOP:
    case ZYDIS_MNEMONIC_PREFETCH:
    case ZYDIS_MNEMONIC_PREFETCHNTA:
    case ZYDIS_MNEMONIC_PREFETCHT0:
    case ZYDIS_MNEMONIC_PREFETCHT1:
    case ZYDIS_MNEMONIC_PREFETCHT2:
    case ZYDIS_MNEMONIC_PREFETCHW:
    case ZYDIS_MNEMONIC_PREFETCHWT1:
    case ZYDIS_MNEMONIC_CLFLUSH:
    case ZYDIS_MNEMONIC_CLFLUSHOPT:
    case ZYDIS_MNEMONIC_CLWB:
        return 1;
    default:
        return 0;
    }
}

static int masked_move(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MASKMOVDQU:
    case ZYDIS_MNEMONIC_MASKMOVQ:
    case ZYDIS_MNEMONIC_VMASKMOVDQU:
    case ZYDIS_MNEMONIC_VMASKMOVPD:
    case ZYDIS_MNEMONIC_VMASKMOVPS:
    case ZYDIS_MNEMONIC_VPMASKMOVD:
    case ZYDIS_MNEMONIC_VPMASKMOVQ:
        return 1;
    default:
        return 0;
    }
}

/* movs, cmps, stos, lods, scas (ins and outs are port I/O). */
static int string_insn(const ZydisDecodedInstruction *in)
{
    return in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && in->opcode >= 0xa4 &&
           in->opcode <= 0xaf && in->opcode != 0xa8 && in->opcode != 0xa9;
}

/* Fills *out from a decoded instruction; 0 if it accesses memory. */
static int compact(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op,
                   struct ls_insn *out)
{
    memset(out, 0, sizeof *out);
    if (not_an_access(in->mnemonic))
        return -1;
    int str = string_insn(in);
    int inexact = masked_move(in->mnemonic) ||
                  (in->avx.mask.mode != ZYDIS_MASK_MODE_DISABLED &&
                   in->avx.mask.mode != ZYDIS_MASK_MODE_INVALID &&
                   in->avx.mask.reg != ZYDIS_REGISTER_K0 &&
                   in->avx.mask.reg != ZYDIS_REGISTER_NONE);
    /* Registers the instruction writes (RIP aside: a RIP-relative address
     * is computed from the instruction's own end). */
    uint32_t written = 0;
    for (int i = 0; i < in->operand_count; i++) {
        if (op[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
            !(op[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        uint8_t g = gpr(op[i].reg.value);
        if (g < 16)
            written |= 1u << g;
    }
    for (int i = 0; i < in->operand_count && out->nmem < 2; i++) {
        const ZydisDecodedOperand *o = &op[i];
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || !o->actions)
            continue;
        if (o->mem.type != ZYDIS_MEMOP_TYPE_MEM && o->mem.type != ZYDIS_MEMOP_TYPE_VSIB)
            continue; /* lea (AGEN), MPX (MIB) */
        struct ls_memop *m = &out->mem[out->nmem];
        m->base = gpr(o->mem.base);
        m->index = o->mem.type == ZYDIS_MEMOP_TYPE_VSIB ? LS_REG_NONE : gpr(o->mem.index);
        /* The stack a push, pop or call uses is no global. */
        if (o->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN && !str)
            continue;
        m->scale = m->index == LS_REG_NONE ? 0 : o->mem.scale;
        m->disp = o->mem.disp.has_displacement ? o->mem.disp.value : 0;
        m->addr32 = in->address_width == 32;
        m->size = o->size / 8;
        if (m->size == 0)
            m->size = 1;
        if (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ)
            m->access |= LS_DEC_READ;
        if (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
            m->access |= LS_DEC_WRITE;
        if (o->mem.segment == ZYDIS_REGISTER_FS || o->mem.segment == ZYDIS_REGISTER_GS)
            m->flags |= LS_MEMOP_TLS;
        if (o->mem.segment == ZYDIS_REGISTER_FS)
            m->flags |= LS_MEMOP_FS;
        if (o->mem.type == ZYDIS_MEMOP_TYPE_VSIB)
            m->flags |= LS_MEMOP_VSIB | LS_MEMOP_INEXACT;
        if (inexact)
            m->flags |= LS_MEMOP_INEXACT;
        if (str) {
            m->flags |= LS_MEMOP_STRING; /* rsi/rdi advance by design: not clobbered */
        } else if ((m->base < 16 && (written >> m->base & 1)) ||
                   (m->index < 16 && (written >> m->index & 1))) {
            m->flags |= LS_MEMOP_CLOBBERED;
        }
        out->nmem++;
    }
    if (out->nmem == 0)
        return -1;
    out->len = in->length;
    out->atomic = (in->attributes & ZYDIS_ATTRIB_HAS_LOCK) || in->mnemonic == ZYDIS_MNEMONIC_XCHG;
    out->rep = str && (in->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                                         ZYDIS_ATTRIB_HAS_REPNE)) != 0;
    if (in->opcode_map == ZYDIS_OPCODE_MAP_0F && (in->opcode & 0xf0) == 0x40 &&
        in->mnemonic >= ZYDIS_MNEMONIC_CMOVB && in->mnemonic <= ZYDIS_MNEMONIC_CMOVZ)
        out->cond = (uint8_t)((in->opcode & 0x0f) + 1);
    return 0;
}

/* The length of the instruction at p (at most n bytes), or 0. */
static size_t length_at(const uint8_t *p, size_t n)
{
    ZydisDecodedInstruction in;
    if (!ZYAN_SUCCESS(zy.insn(&lengths, NULL, p, n, &in)) || in.length > n)
        return 0;
    return in.length;
}

static int decode_one(const uint8_t *p, size_t n, struct ls_insn *out)
{
    ZydisDecodedInstruction in;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(zy.full(&decoder, p, n, &in, op)))
        return -1;
    return compact(&in, op, out);
}

/* ---- which instruction ends at the pc ---------------------------------- */

static int same_access(const struct ls_insn *a, const struct ls_insn *b)
{
    if (a->nmem != b->nmem || a->cond != b->cond || a->atomic != b->atomic || a->rep != b->rep)
        return 0;
    for (int i = 0; i < a->nmem; i++) {
        const struct ls_memop *x = &a->mem[i], *y = &b->mem[i];
        /* Both end at the pc: the same RIP-relative displacement is the same address. */
        if (x->disp != y->disp || x->size != y->size || x->base != y->base ||
            x->index != y->index || x->scale != y->scale || x->addr32 != y->addr32 ||
            x->access != y->access || x->flags != y->flags)
            return 0;
    }
    return 1;
}

/* Linear decodes from further back resynchronize on the real instruction
 * boundaries within a few instructions: count, for each candidate start,
 * how many of them fall on it, and how many pass through the pc itself
 * without falling on any (then the instruction that ends at the pc is not
 * one that accesses memory). */
enum { R_UNKNOWN = 0, R_FAIL = -1, R_NONE = -2 };

static void vote(const uint8_t *code, size_t before, struct ls_insn *c, int n, int *none)
{
    size_t far = before < SYNC_FROM ? before : SYNC_FROM;
    /* reach[k]: where a decode passing through pc - k ends up (R_*, or
     * candidate index + 1).  Each position is decoded at most once. */
    signed char reach[SYNC_FROM + 1];
    memset(reach, 0, sizeof reach);
    *none = 0;
    /* Not that far back (the start of the code): from there only. */
    size_t nearest = far > SYNC_TO ? SYNC_TO + 1 : far;
    for (size_t from = far; from >= nearest && from > 0;
         from = from > SYNC_STEP ? from - SYNC_STEP : 0) {
        size_t path[SYNC_FROM + 1];
        int np = 0;
        size_t k = from;
        signed char result = R_FAIL;
        for (;;) {
            if (k == 0) {
                result = R_NONE;
                break;
            }
            if (reach[k] != R_UNKNOWN) {
                result = reach[k];
                break;
            }
            int hit = -1;
            for (int i = 0; i < n; i++)
                if (c[i].back == k)
                    hit = i;
            if (hit >= 0) {
                result = (signed char)(hit + 1);
                break;
            }
            path[np++] = k;
            /* Limited to k bytes: an instruction across the pc fails. */
            size_t len = length_at(code - k, k);
            if (len == 0)
                break;
            k -= len;
        }
        for (int i = 0; i < np; i++)
            reach[path[i]] = result;
        if (result > 0 && c[result - 1].votes < 255)
            c[result - 1].votes++;
        else if (result == R_NONE)
            (*none)++;
    }
}

static int opcode_is_indirect_call(const uint8_t *p, size_t len)
{
    size_t j = 0;
    while (j + 1 < len && (p[j] == 0x66 || p[j] == 0x67 || p[j] == 0x2e || p[j] == 0x3e ||
                           p[j] == 0x26 || p[j] == 0x36 || p[j] == 0x64 || p[j] == 0x65 ||
                           p[j] == 0xf2 || p[j] == 0xf3 || (p[j] & 0xf0) == 0x40))
        j++;
    return j + 1 < len && p[j] == 0xff && ((p[j + 1] >> 3) & 7) == 2;
}

/* From a known instruction boundary (the function's start) forward to the
 * pc: the candidate whose start it falls on (its index), -2 if it falls on
 * the pc itself and on no candidate, -1 if it does not get there (data
 * among the code, a decode error). */
static int walk(const uint8_t *code, size_t from, const struct ls_insn *c, int n)
{
    size_t k = from;
    while (k > 0) {
        for (int i = 0; i < n; i++)
            if (c[i].back == k)
                return i;
        size_t len = length_at(code - k, k);
        if (len == 0)
            return -1;
        k -= len;
    }
    return -2;
}

static int decode_before(const uint8_t *code, size_t before, size_t fstart, struct ls_site *out,
                         int calls)
{
    struct ls_insn cand[MAX_INSN];
    int n = 0;
    size_t maxback = before < MAX_INSN ? before : MAX_INSN;
    for (size_t k = 1; k <= maxback; k++) {
        struct ls_insn d;
        if (length_at(code - k, k) != k || decode_one(code - k, k, &d) != 0 || d.len != k)
            continue;
        /* For a call through memory: only FF /2 (call [mem]). */
        if (calls && !opcode_is_indirect_call(code - k, k))
            continue;
        d.back = (uint8_t)k;
        cand[n++] = d;
    }
    if (n == 0)
        return -1;
    int none;
    vote(code, before, cand, n, &none);
    int most = 0, with_votes = 0;
    for (int i = 0; i < n; i++) {
        most = cand[i].votes > most ? cand[i].votes : most;
        with_votes += cand[i].votes > 0;
    }
    /* Every linear decode from further back agrees: that is the one (the
     * usual case, and the cheap one). */
    if (with_votes == 1 && none == 0) {
        for (int i = 0; i < n; i++)
            if (cand[i].votes)
                out->insn[0] = cand[i];
        out->n = 1;
        return 0;
    }
    /* They disagree: decoding forward from the function's start is exact. */
    if (fstart > 0 && fstart <= before) {
        int w = walk(code, fstart, cand, n);
        if (w == -2)
            return -1; /* the instruction that ends at the pc accesses no memory */
        if (w >= 0) {
            out->insn[0] = cand[w];
            out->insn[0].votes = 255;
            out->n = 1;
            return 0;
        }
    }
    /* Every decode from further back goes through the pc and none falls
     * on a candidate: they are tails of the instruction that ends there,
     * which accesses no memory. */
    if (most == 0 && none > 0)
        return -1;
    /* Most votes first; on a tie, the longer one (a real prefix is more
     * common than a byte of the previous instruction that reads as one). */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && (cand[j].votes > cand[j - 1].votes ||
                                  (cand[j].votes == cand[j - 1].votes &&
                                   cand[j].back > cand[j - 1].back));
             j--) {
            struct ls_insn t = cand[j];
            cand[j] = cand[j - 1];
            cand[j - 1] = t;
        }
    /* Without votes for them, the others are tails of a candidate that has
     * some; and one that accesses the same as a better one adds nothing. */
    out->n = 0;
    for (int i = 0; i < n && out->n < LS_SITE_MAX; i++) {
        if (most > 0 && cand[i].votes == 0)
            break;
        int dup = 0;
        for (int j = 0; j < out->n && !dup; j++)
            dup = same_access(&out->insn[j], &cand[i]);
        if (!dup)
            out->insn[out->n++] = cand[i];
    }
    out->ambiguous = out->n > 1;
    return 0;
}

int ls_decode_site(const uint8_t *code, size_t before, size_t after, size_t fstart,
                   struct ls_site *out)
{
    memset(out, 0, sizeof *out);
    if (loaded <= 0)
        return -1;
    struct ls_insn r;
    if (after > 0 && decode_one(code, after < MAX_INSN ? after : MAX_INSN, &r) == 0 && r.rep) {
        r.back = 0;
        out->rep_insn = r;
        out->has_rep = 1;
    }
    int rc = decode_before(code, before, fstart, out, 0);
    return rc == 0 || out->has_rep ? 0 : -1;
}

int ls_decode_call_site(const uint8_t *code, size_t before, size_t fstart, struct ls_site *out)
{
    memset(out, 0, sizeof *out);
    if (loaded <= 0)
        return -1;
    return decode_before(code, before, fstart, out, 1);
}

/* ---- function starts: .eh_frame_hdr ------------------------------------ */

static int32_t s32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

uint64_t ls_decode_function_start(const uint8_t *hdr, size_t len, uint64_t hdr_addr, uint64_t pc)
{
    /* version 1; eh_frame_ptr in any 4-byte encoding; fde_count udata4; the
     * table of (initial location, fde) pairs datarel sdata4: what GNU ld and
     * lld write. */
    if (!hdr || len < 12 || hdr[0] != 1 || (hdr[1] & 0x0f) == 0x0f || hdr[2] != 0x03 ||
        hdr[3] != 0x3b || ((hdr[1] & 0x0f) != 0x03 && (hdr[1] & 0x0f) != 0x0b))
        return 0;
    uint32_t count;
    memcpy(&count, hdr + 8, sizeof count);
    if (count == 0 || count > (len - 12) / 8)
        return 0;
    const uint8_t *t = hdr + 12;
    /* the last entry whose start is at or before pc */
    uint32_t lo = 0, hi = count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hdr_addr + (uint64_t)(int64_t)s32(t + 8 * (size_t)mid) <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    return hdr_addr + (uint64_t)(int64_t)s32(t + 8 * (size_t)(lo - 1));
}

/* ---- the access -------------------------------------------------------- */

static int cond_true(unsigned cc, uint64_t fl)
{
    int cf = fl & 1, pf = fl >> 2 & 1, zf = fl >> 6 & 1, sf = fl >> 7 & 1, of = fl >> 11 & 1;
    int v;
    switch (cc >> 1) {
    case 0: v = of; break;
    case 1: v = cf; break;
    case 2: v = zf; break;
    case 3: v = cf | zf; break;
    case 4: v = sf; break;
    case 5: v = pf; break;
    case 6: v = sf != of; break;
    default: v = zf | (sf != of); break;
    }
    return (cc & 1) ? !v : v;
}

static int overlaps(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
    return a < b + m && b < a + n;
}

/* The address of m for an instruction ending at end; 0 if it cannot be
 * computed (*ok = 0). */
static uint64_t address(const struct ls_memop *m, const struct ls_regs *r, uint64_t end,
                        int *ok)
{
    /* VSIB (gather, scatter): the index is a vector register. */
    /* A TLS variable's own accesses (%fs:off) are at the thread pointer:
     * they count when a thread's TLS is watched. */
    int fs = (m->flags & LS_MEMOP_FS) && r->fs_base && !m->addr32;
    *ok = !(m->flags & (LS_MEMOP_CLOBBERED | LS_MEMOP_VSIB)) && (!(m->flags & LS_MEMOP_TLS) || fs);
    if (!*ok)
        return 0;
    uint64_t a = (uint64_t)m->disp + (fs ? r->fs_base : 0);
    if (m->base == LS_REG_RIP)
        a += end;
    else if (m->base < 16)
        a += m->addr32 ? (uint32_t)r->r[m->base] : r->r[m->base];
    if (m->index < 16)
        a += (m->addr32 ? (uint32_t)r->r[m->index] : r->r[m->index]) * m->scale;
    if (m->addr32)
        a = (uint32_t)a;
    if (m->flags & LS_MEMOP_STRING) {
        /* Advanced by one element after the access, backwards with DF set. */
        if (r->rflags & (1u << 10))
            a += m->size;
        else
            a -= m->size;
    }
    return a;
}

/* 1 and *out if insn d explains a trap on the window, 0 if it does not,
 * -1 if it may but its address cannot be computed. */
static int explain(const struct ls_insn *d, const struct ls_regs *r, uint64_t end, uint64_t wlo,
                   uint64_t wlen, struct ls_dec_access *out)
{
    int unknown = 0, best = -1;
    uint64_t best_addr = 0;
    for (int i = 0; i < d->nmem; i++) {
        int ok;
        uint64_t a = address(&d->mem[i], r, end, &ok);
        if (!ok) {
            if (!(d->mem[i].flags & LS_MEMOP_TLS))
                unknown = 1;
            continue;
        }
        if (a + d->mem[i].size < a || !overlaps(a, d->mem[i].size, wlo, wlen))
            continue; /* (no access wraps around the address space) */
        /* Of two operands on the window (movs), the write. */
        if (best < 0 || (d->mem[i].access & LS_DEC_WRITE)) {
            best = i;
            best_addr = a;
        }
    }
    if (best >= 0) {
        const struct ls_memop *m = &d->mem[best];
        out->addr = best_addr;
        out->size = m->size;
        out->flags = m->access;
        if (m->flags & LS_MEMOP_INEXACT) {
            /* Some bytes of the range: keep those in the window. */
            uint64_t lo = best_addr > wlo ? best_addr : wlo;
            uint64_t hi = best_addr + m->size < wlo + wlen ? best_addr + m->size : wlo + wlen;
            out->addr = lo;
            out->size = hi - lo;
            out->flags |= LS_DEC_INEXACT;
        }
    } else if (unknown) {
        out->addr = wlo;
        out->size = wlen;
        out->flags = LS_DEC_INEXACT;
        for (int i = 0; i < d->nmem; i++)
            if (!(d->mem[i].flags & LS_MEMOP_TLS))
                out->flags |= d->mem[i].access;
    } else {
        return 0;
    }
    if (d->atomic)
        out->flags |= LS_DEC_ATOMIC;
    if (d->cond && !cond_true(d->cond - 1u, r->rflags))
        out->flags |= LS_DEC_NO_ACCESS;
    out->back = d->back;
    return best >= 0 ? 1 : -1;
}

int ls_decode_eval(const struct ls_site *s, const struct ls_regs *r, uint64_t pc, uint64_t wlo,
                   uint64_t wlen, struct ls_dec_access *out)
{
    memset(out, 0, sizeof *out);
    if (wlen == 0 || wlo + wlen < wlo)
        return -1;
    /* In the middle of a REP string instruction the pc is still on it:
     * iterations remain (rcx), and the element just done touched the window. */
    if (s->has_rep && r->r[LS_REG_RCX] != 0 &&
        explain(&s->rep_insn, r, pc + s->rep_insn.len, wlo, wlen, out) == 1)
        return 0;
    struct ls_dec_access first;
    int have_first = 0;
    for (int i = 0; i < s->n && i < LS_SITE_MAX; i++) {
        struct ls_dec_access a;
        int e = explain(&s->insn[i], r, pc, wlo, wlen, &a);
        if (e == 1) {
            *out = a;
            return 0;
        }
        if (e < 0 && !have_first && i == 0) {
            first = a;
            have_first = 1;
        }
    }
    if (have_first) {
        *out = first;
        return 0;
    }
    return -1;
}
