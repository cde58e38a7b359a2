/*
 * A program's globals, read offline: see globals.h.
 */
#define _GNU_SOURCE
#include "globals.h"
#include "debuginfo.h"
#include "globals_cache.h"
#include "util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

/* ---- the symbol table --------------------------------------------------- */

static int var_cmp(const void *a, const void *b)
{
    const struct ls_gvar *x = a, *y = b;
    if (x->vaddr != y->vaddr)
        return x->vaddr < y->vaddr ? -1 : 1;
    return x->size > y->size ? -1 : x->size < y->size;
}

static void read_symbols(Elf *elf, struct ls_globals *g, size_t *cap)
{
    size_t tls_cap = 0;
    Elf_Scn *scn = NULL, *symscn = NULL;
    GElf_Shdr sh, symsh;
    while ((scn = elf_nextscn(elf, scn)))
        if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
            symscn = scn;
            symsh = sh;
        }
    if (!symscn)
        while ((scn = elf_nextscn(elf, scn)))
            if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM) {
                symscn = scn;
                symsh = sh;
            }
    Elf_Data *data = symscn ? elf_getdata(symscn, NULL) : NULL;
    if (!data || symsh.sh_entsize == 0)
        return;
    size_t n = symsh.sh_size / symsh.sh_entsize;
    for (size_t i = 0; i < n; i++) {
        GElf_Sym s;
        if (gelf_getsym(data, (int)i, &s) && GELF_ST_TYPE(s.st_info) == STT_TLS && s.st_size &&
            s.st_shndx != SHN_UNDEF) {
            const char *name = elf_strptr(elf, symsh.sh_link, s.st_name);
            LS_GROW(g->tls, tls_cap, g->ntls + 1);
            g->tls[g->ntls++] = (struct ls_gvar){s.st_value, s.st_size, xstrdup(name ? name : ""), 0};
            continue;
        }
        if (!gelf_getsym(data, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_OBJECT ||
            s.st_size == 0 || s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE)
            continue;
        Elf_Scn *sec = elf_getscn(elf, s.st_shndx);
        if (!sec || !gelf_getshdr(sec, &sh) || !(sh.sh_flags & SHF_WRITE) ||
            !(sh.sh_flags & SHF_ALLOC) || (sh.sh_flags & SHF_TLS))
            continue;
        const char *name = elf_strptr(elf, symsh.sh_link, s.st_name);
        LS_GROW(g->vars, *cap, g->nvars + 1);
        g->vars[g->nvars++] = (struct ls_gvar){s.st_value, s.st_size, xstrdup(name ? name : ""), 0};
    }
    if (g->nvars)
        qsort(g->vars, g->nvars, sizeof *g->vars, var_cmp);
    size_t k = 0;
    for (size_t i = 0; i < g->nvars; i++) {
        if (k && g->vars[i].vaddr == g->vars[k - 1].vaddr) {
            free((char *)g->vars[i].name);
            continue;
        }
        g->vars[k++] = g->vars[i];
    }
    g->nvars = k;
}

const struct ls_gvar *ls_globals_tls_at(const struct ls_globals *g, uint64_t off)
{
    for (size_t i = 0; g && i < g->ntls; i++)
        if (off >= g->tls[i].vaddr && off - g->tls[i].vaddr < g->tls[i].size)
            return &g->tls[i];
    return NULL;
}

const struct ls_gvar *ls_globals_at(const struct ls_globals *g, uint64_t vaddr)
{
    if (!g)
        return NULL;
    size_t lo = 0, hi = g->nvars;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->vars[mid].vaddr <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct ls_gvar *v = &g->vars[lo - 1];
    return vaddr - v->vaddr < v->size ? v : NULL;
}

static void mark(struct ls_globals *g, uint64_t vaddr, unsigned flags)
{
    struct ls_gvar *v = (struct ls_gvar *)ls_globals_at(g, vaddr);
    if (v)
        v->flags |= flags;
}

/* ---- types in the debug information ------------------------------------ */

static int sync_name(const char *n)
{
    static const char *const names[] = {
        "pthread_mutex_t", "pthread_cond_t", "pthread_rwlock_t", "pthread_spinlock_t",
        "pthread_barrier_t", "pthread_once_t", "sem_t", "mtx_t", "cnd_t", "once_flag",
        /* C++ (namespace std) */
        "mutex", "recursive_mutex", "timed_mutex", "recursive_timed_mutex", "shared_mutex",
        "shared_timed_mutex", "condition_variable", "condition_variable_any",
    };
    for (size_t i = 0; n && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(n, names[i]))
            return 1;
    return 0;
}

unsigned ls_globals_type_class(Dwarf_Die *var)
{
    Dwarf_Die cur = *var;
    for (int depth = 0; depth < 16; depth++) {
        Dwarf_Attribute attr;
        Dwarf_Die type;
        if (!dwarf_attr_integrate(&cur, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &type))
            return 0;
        int tag = dwarf_tag(&type);
        const char *name = dwarf_diename(&type);
        if (tag == DW_TAG_atomic_type)
            return LS_G_ATOMIC_TYPE;
        if (sync_name(name))
            return LS_G_SYNC_TYPE;
        if ((tag == DW_TAG_class_type || tag == DW_TAG_structure_type) && name &&
            (!strncmp(name, "atomic<", 7) || !strcmp(name, "atomic_flag")))
            return LS_G_ATOMIC_TYPE;
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
            tag != DW_TAG_array_type)
            return 0;
        cur = type;
    }
    return 0;
}

static int location_addr(Dwarf_Die *die, Dwarf_Addr *addr)
{
    Dwarf_Attribute attr;
    Dwarf_Op *expr;
    size_t len;
    if (!dwarf_attr(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &expr, &len) != 0 ||
        len < 1 || expr[0].atom != DW_OP_addr)
        return 0;
    *addr = expr[0].number;
    return 1;
}

/* DW_OP_addr holds the file's virtual address, as the symbol table does. */
static void walk_dies(struct ls_globals *g, Dwarf_Die *parent, int depth)
{
    Dwarf_Die child;
    if (depth > 6 || dwarf_child(parent, &child) != 0)
        return;
    do {
        int tag = dwarf_tag(&child);
        Dwarf_Addr a;
        if (tag == DW_TAG_variable && location_addr(&child, &a)) {
            unsigned f = ls_globals_type_class(&child);
            if (f)
                mark(g, a, f);
        } else if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block ||
                   tag == DW_TAG_namespace || tag == DW_TAG_inlined_subroutine) {
            walk_dies(g, &child, depth + 1);
        }
    } while (dwarf_siblingof(&child, &child) == 0);
}

static void read_types(const char *path, struct ls_globals *g)
{
    static char *debuginfo_path = NULL;
    Dwfl_Callbacks cb = {
        .find_debuginfo = ls_find_debuginfo,
        .section_address = dwfl_offline_section_address,
        .debuginfo_path = &debuginfo_path,
    };
    Dwfl *dwfl = dwfl_begin(&cb);
    if (!dwfl)
        return;
    Dwfl_Module *mod = dwfl_report_offline(dwfl, "", path, -1);
    dwfl_report_end(dwfl, NULL, NULL);
    Dwarf_Addr bias;
    Dwarf_Die *cu = NULL;
    while (mod && (cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL)
        walk_dies(g, cu, 0);
    dwfl_end(dwfl);
}

/* ---- references in the code and the data ---------------------------------- */

static void add_atomic(struct ls_globals *g, size_t *cap, uint64_t vaddr, uint32_t size)
{
    LS_GROW(g->atomics, *cap, g->natomics + 1);
    g->atomics[g->natomics++] = (struct ls_grange){vaddr, size};
}

/* One instruction with a 32- or 64-bit displacement or immediate: which
 * globals it names, and how. */
static void note_insn(struct ls_globals *g, size_t *acap, const ZydisDecoder *d,
                      ZydisDecoderContext *ctx, const ZydisDecodedInstruction *in,
                      uint64_t ip)
{
    for (int i = 0; i < 2; i++)
        if (in->raw.imm[i].size >= 32 && !in->raw.imm[i].is_relative)
            mark(g, in->raw.imm[i].value.u, LS_G_ADDRESS); /* mov edi, OFFSET g */
    if (in->raw.disp.size < 32)
        return;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeOperands(d, ctx, in, op, in->operand_count)))
        return;
    int atomic = (in->attributes & ZYDIS_ATTRIB_HAS_LOCK) || in->mnemonic == ZYDIS_MNEMONIC_XCHG;
    for (int i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &op[i];
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
            continue;
        uint64_t target;
        if (o->mem.base == ZYDIS_REGISTER_RIP && o->mem.index == ZYDIS_REGISTER_NONE)
            target = ip + in->length + (uint64_t)o->mem.disp.value;
        else if (o->mem.base == ZYDIS_REGISTER_NONE && o->mem.disp.has_displacement)
            target = (uint64_t)o->mem.disp.value; /* absolute (non-PIE), maybe indexed */
        else
            continue;
        if (o->mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
            mark(g, target, LS_G_ADDRESS);
            continue;
        }
        if (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
            mark(g, target, LS_G_WRITE);
        if (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ)
            mark(g, target, LS_G_READ);
        if (atomic && ls_globals_at(g, target)) {
            mark(g, target, LS_G_ATOMIC_CODE);
            add_atomic(g, acap, target, o->size / 8 ? o->size / 8 : 1);
        }
    }
}

/* Decodes [from, to) of a code section mapped at p (ELF address base). */
static void decode_range(const ZydisDecoder *d, struct ls_globals *g, size_t *acap,
                         const uint8_t *p, uint64_t base, size_t from, size_t to)
{
    size_t off = from;
    /* A linear sweep: compilers keep data out of the text. */
    while (off < to) {
        ZydisDecoderContext ctx;
        ZydisDecodedInstruction in;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(d, &ctx, p + off, to - off, &in))) {
            off++;
            continue;
        }
        note_insn(g, acap, d, &ctx, &in, base + off);
        off += in.length;
    }
}

static const struct ls_gvar *named(const struct ls_globals *g, uint64_t lo, uint64_t hi,
                                   uint64_t a)
{
    return a >= lo && a < hi ? ls_globals_at(g, a) : NULL;
}

/* The variables the bytes at ELF address at could name as the 32-bit
 * displacement or the immediate of an instruction: RIP-relative (the
 * instruction ends 0, 1, 2 or 4 bytes after the field, its immediate), an
 * absolute 32-bit address, or a 64-bit immediate.  A superset of what the
 * decoder finds: every instruction note_insn marks by has such a field.
 * Returns how many were put in out[7]. */
static int may_name(const struct ls_globals *g, uint64_t lo, uint64_t hi, uint64_t at,
                    const uint8_t *b, size_t left, const struct ls_gvar *out[7])
{
    int32_t s;
    uint32_t u;
    memcpy(&s, b, 4);
    memcpy(&u, b, 4);
    /* Most bytes of a program name nothing: ruled out with a few compares
     * (the RIP-relative target, the immediate's 0-4 bytes aside, and the
     * absolute values against [lo, hi)), since this runs for every byte. */
    uint64_t span = hi - lo, rip = at + 4 + (uint64_t)(int64_t)s;
    if (rip - (lo - 4) >= span + 4 && (uint64_t)(int64_t)s - lo >= span && u - lo >= span &&
        (hi <= UINT32_MAX || left < 8))
        return 0;
    static const unsigned imm[] = {0, 1, 2, 4};
    int n = 0;
    for (int k = 0; k < 4; k++)
        if ((out[n] = named(g, lo, hi, at + 4 + imm[k] + (uint64_t)(int64_t)s)))
            n++;
    if ((out[n] = named(g, lo, hi, (uint64_t)(int64_t)s)))
        n++;
    if ((out[n] = named(g, lo, hi, u)))
        n++;
    uint64_t q;
    if (left >= 8) {
        memcpy(&q, b, 8);
        if ((out[n] = named(g, lo, hi, q)))
            n++;
    }
    return n;
}

/* A variable's tier for the shim (written or address taken; only read)
 * can change no more once it is written or its address taken, and is
 * taken to be "only read" after this many references that were not. */
#define SETTLED_READS 64

/* Whether the field at b could be the displacement of an atomic
 * instruction (a LOCK prefix, XCHG) naming a variable: RIP-relative
 * (ModRM mod 00 r/m 101 just before it) or absolute (ModRM r/m 100 and a
 * SIB with base 101), with XCHG's opcode just before the ModRM or a LOCK
 * prefix at most 7 bytes before it (other prefixes, REX and a 3-byte
 * opcode between).  Every such place is decoded, whatever the variable's
 * tier: the race check relies on knowing them all. */
static int maybe_atomic(const uint8_t *section, const uint8_t *b)
{
    const uint8_t *m[2];
    int nm = 0;
    if (b - section >= 2 && (b[-1] & 0xc7) == 0x05)
        m[nm++] = b - 1;
    if (b - section >= 3 && (b[-1] & 0x07) == 0x05 && (b[-2] & 0xc7) == 0x04)
        m[nm++] = b - 2;
    for (int k = 0; k < nm; k++) {
        if (m[k][-1] == 0x86 || m[k][-1] == 0x87)
            return 1;
        for (const uint8_t *q = m[k] - 1; q >= section && q >= m[k] - 7; q--)
            if (*q == 0xf0)
                return 1;
    }
    return 0;
}

/* Where the functions start, from the unwind tables' search table
 * (.eh_frame_hdr, as the GNU and LLVM linkers write it: 4-byte entries
 * relative to its start, sorted); malloc'ed, NULL if there is none. */
static uint64_t *function_starts(Elf *elf, size_t *count)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(elf, scn))) {
        const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
        if (!name || strcmp(name, ".eh_frame_hdr") != 0 || sh.sh_type != SHT_PROGBITS)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        const uint8_t *h = data ? data->d_buf : NULL;
        /* version 1; eh_frame_ptr pcrel|sdata4; fde_count udata4;
         * table datarel|sdata4 */
        if (!h || data->d_size < 12 || h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
            return NULL;
        uint32_t n;
        memcpy(&n, h + 8, 4);
        if (n == 0 || (data->d_size - 12) / 8 < n)
            return NULL;
        uint64_t *starts = xcalloc(n, sizeof *starts);
        for (uint32_t i = 0; i < n; i++) {
            int32_t rel;
            memcpy(&rel, h + 12 + (size_t)i * 8, 4);
            starts[i] = sh.sh_addr + (uint64_t)(int64_t)rel;
            if (i && starts[i] < starts[i - 1]) {
                free(starts);
                return NULL;
            }
        }
        *count = n;
        return starts;
    }
    return NULL;
}

/* The index of the last start <= a, or count if a is before them all. */
static size_t start_before(const uint64_t *starts, size_t count, uint64_t a)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (starts[mid] <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : count;
}

/* The code that names a variable.  Decoding every instruction of a large
 * program costs tens of milliseconds before it may start, so the bytes are
 * screened first: only the stretches between two function starts (from
 * the unwind tables) that hold a field that could name a variable are
 * decoded, each from its function's start, which is where a sweep of the
 * whole section would be too.  Without the table the sections are swept
 * whole. */
static void scan_code(Elf *elf, struct ls_globals *g, size_t *acap)
{
    ZydisDecoder d;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
        return;
    uint64_t lo = g->vars[0].vaddr, hi = 0;
    for (size_t i = 0; i < g->nvars; i++)
        if (g->vars[i].vaddr + g->vars[i].size > hi)
            hi = g->vars[i].vaddr + g->vars[i].size;
    size_t nstarts = 0;
    uint64_t *starts = function_starts(elf, &nstarts);
    uint32_t *seen = xcalloc(g->nvars, sizeof *seen); /* references looked at, by variable */
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(elf, scn))) {
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
            !(sh.sh_flags & SHF_EXECINSTR))
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data || !data->d_buf)
            continue;
        const uint8_t *p = data->d_buf;
        size_t n = data->d_size;
        if (!starts) {
            decode_range(&d, g, acap, p, sh.sh_addr, 0, n);
            continue;
        }
        size_t done = 0; /* decoded up to here */
        for (size_t i = 0; i + 4 <= n; i++) {
            const struct ls_gvar *v[7];
            int nv = may_name(g, lo, hi, sh.sh_addr + i, p + i, n - i, v);
            if (nv == 0)
                continue;
            int wanted = maybe_atomic(p, p + i);
            for (int k = 0; k < nv; k++) {
                size_t at = (size_t)(v[k] - g->vars);
                if (!(v[k]->flags & (LS_G_WRITE | LS_G_ADDRESS)) && seen[at] < SETTLED_READS)
                    wanted = 1;
                if (seen[at] < SETTLED_READS)
                    seen[at]++;
            }
            if (i < done || !wanted)
                continue;
            size_t k = start_before(starts, nstarts, sh.sh_addr + i);
            size_t from = k < nstarts && starts[k] > sh.sh_addr ? starts[k] - sh.sh_addr : 0;
            size_t to = n;
            size_t next = k < nstarts ? k + 1 : 0;
            while (next < nstarts && starts[next] <= sh.sh_addr + i)
                next++;
            if (next < nstarts && starts[next] < sh.sh_addr + n)
                to = starts[next] - sh.sh_addr;
            if (from < done)
                from = done;
            decode_range(&d, g, acap, p, sh.sh_addr, from, to);
            done = to;
        }
    }
    free(starts);
    free(seen);
    g->code_scanned = 1;
}

/* Pointers in the data (initialized pointers, tables, the GOT): relocations
 * of a position-independent file, and the words themselves otherwise. */
static void scan_data(Elf *elf, struct ls_globals *g)
{
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(elf, scn))) {
        if (!gelf_getshdr(scn, &sh))
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data || !data->d_buf)
            continue;
        if (sh.sh_type == SHT_RELA && sh.sh_entsize) {
            size_t n = sh.sh_size / sh.sh_entsize;
            for (size_t i = 0; i < n; i++) {
                GElf_Rela r;
                if (!gelf_getrela(data, (int)i, &r))
                    continue;
                unsigned type = GELF_R_TYPE(r.r_info);
                if (type == R_X86_64_RELATIVE)
                    mark(g, (uint64_t)r.r_addend, LS_G_ADDRESS);
                else if (type == R_X86_64_64 || type == R_X86_64_GLOB_DAT) {
                    /* symbol + addend: the symbol's value, from its table */
                    Elf_Scn *ss = elf_getscn(elf, sh.sh_link);
                    Elf_Data *sd = ss ? elf_getdata(ss, NULL) : NULL;
                    GElf_Sym s;
                    if (sd && gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &s) && s.st_value)
                        mark(g, s.st_value + (uint64_t)r.r_addend, LS_G_ADDRESS);
                }
            }
        } else if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_ALLOC) &&
                   !(sh.sh_flags & SHF_EXECINSTR)) {
            const uint8_t *p = data->d_buf;
            for (size_t off = (8 - sh.sh_addr % 8) % 8; off + 8 <= data->d_size; off += 8) {
                uint64_t v;
                memcpy(&v, p + off, sizeof v);
                if (v)
                    mark(g, v, LS_G_ADDRESS);
            }
        }
    }
}

static int range_cmp(const void *a, const void *b)
{
    const struct ls_grange *x = a, *y = b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static struct ls_globals *read_globals(const char *path)
{
    struct ls_globals *g = xcalloc(1, sizeof *g);
    if (ls_gcache_load(path, g) != 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            free(g);
            return NULL;
        }
        elf_version(EV_CURRENT);
        Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        GElf_Ehdr eh;
        if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
            eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
            if (elf)
                elf_end(elf);
            close(fd);
            free(g);
            return NULL;
        }
        size_t vcap = 0, acap = 0;
        read_symbols(elf, g, &vcap);
        if (g->nvars) {
            scan_code(elf, g, &acap);
            scan_data(elf, g);
            if (g->natomics)
                qsort(g->atomics, g->natomics, sizeof *g->atomics, range_cmp);
        }
        elf_end(elf);
        close(fd);
        ls_gcache_store(path, g);
    }
    if (g->nvars)
        read_types(path, g);
    return g;
}

static struct cached {
    char *path;
    struct ls_globals *g;
    struct cached *next;
} *cache;

const struct ls_globals *ls_globals_of(const char *path)
{
    if (!path || !*path)
        return NULL;
    for (struct cached *c = cache; c; c = c->next)
        if (!strcmp(c->path, path))
            return c->g;
    struct cached *c = xcalloc(1, sizeof *c);
    c->path = xstrdup(path);
    c->g = read_globals(path);
    c->next = cache;
    cache = c;
    return c->g;
}

int ls_globals_atomic_bytes(const struct ls_globals *g, uint64_t vaddr, uint64_t size)
{
    if (!g)
        return 0;
    /* the first range starting at or after vaddr - 64 (no access is wider) */
    size_t lo = 0, hi = g->natomics;
    uint64_t from = vaddr > 64 ? vaddr - 64 : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->atomics[mid].vaddr < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < g->natomics && g->atomics[i].vaddr < vaddr + size; i++)
        if (g->atomics[i].vaddr + g->atomics[i].size > vaddr)
            return 1;
    return 0;
}

/* ---- for the shim ---------------------------------------------------------- */

static char class_of(const struct ls_globals *g, const struct ls_gvar *v)
{
    if (v->flags & LS_G_ATOMIC_TYPE)
        return 'a';
    if (v->flags & LS_G_SYNC_TYPE)
        return 's';
    if (v->flags & LS_G_ATOMIC_CODE)
        return 'x';
    if (!g->code_scanned || (v->flags & (LS_G_WRITE | LS_G_ADDRESS)))
        return 0;
    return v->flags & LS_G_READ ? 'r' : 'u';
}

char *ls_globals_hint(const struct ls_globals *g, size_t max)
{
    /* Left out first when it does not fit: never named, then only read. */
    static const char *const levels[] = {"asxru", "asxr", "asx"};
    struct strbuf sb;
    sb_init(&sb);
    for (size_t l = 0; g && l < sizeof levels / sizeof levels[0]; l++) {
        sb.len = 0;
        if (sb.buf)
            sb.buf[0] = 0;
        for (size_t i = 0; i < g->nvars; i++) {
            char c = class_of(g, &g->vars[i]);
            if (c && strchr(levels[l], c))
                sb_printf(&sb, "%s%c%llx", sb.len ? "," : "", c,
                          (unsigned long long)g->vars[i].vaddr);
        }
        if (sb.len <= max)
            break;
    }
    if (sb.len > max)
        sb.len = 0; /* not even the synchronization fits: say nothing */
    if (!sb.buf)
        sb_adds(&sb, "");
    sb.buf[sb.len] = 0;
    return sb_detach(&sb);
}

char *ls_globals_atomic_names(const struct ls_globals *g)
{
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, "");
    for (size_t i = 0; g && i < g->nvars; i++)
        if (g->vars[i].flags & LS_G_ATOMIC_TYPE)
            sb_printf(&sb, "%s%s", sb.len ? "," : "", g->vars[i].name);
    return sb_detach(&sb);
}
