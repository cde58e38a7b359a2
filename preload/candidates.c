/*
 * Watchpoint candidates: the program's global data objects, found when it
 * starts its first thread (watch.c).  Symbols of writable, allocated,
 * non-TLS sections with a size, of the main executable (and, with
 * watch_libs=1, of the program's own shared libraries), less
 * copy-relocated library objects, the toolchain's own objects, and what
 * `lockscope run` found to be synchronization objects by their type.  Also
 * the code ranges whose traps count, with their .eh_frame_hdr.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CANDIDATES 65536
#define MAX_CODE_RANGES 64

struct ls_cand *ls_cands;
uint32_t ls_ncands;
uint32_t *ls_cand_order;
struct ls_code_range ls_code[MAX_CODE_RANGES];
int ls_ncode;

/* ---- what `lockscope run` found in the program ---------------------------- */

/* LOCKSCOPE_GLOBALS="EXE:a4010,s4040,x4080,r4100,u4200": globals of EXE by
 * ELF virtual address, each with what the debug information and the code
 * say of it: a = C11 _Atomic (followed as synchronization), s = a
 * synchronization object by its type (pthread_once_t, sem_t, ...: never
 * watched), x = atomic instructions of the code access it (followed as
 * synchronization while two slots stay for sampling), r = the code only
 * reads it, u = the code never names it.  The others are written by the
 * code.  Another program (exec'd later) does not match and gets none. */
struct hint {
    uint64_t vaddr;
    char cls;
};
static struct hint *hints;
static uint32_t nhints;

static int hint_cmp(const void *a, const void *b)
{
    const struct hint *x = a, *y = b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static void load_hints(const char *exe)
{
    const char *v = getenv("LOCKSCOPE_GLOBALS");
    if (!v)
        return;
    const char *colon = strrchr(v, ':');
    if (!colon || (size_t)(colon - v) != strlen(exe) || memcmp(v, exe, (size_t)(colon - v)))
        return;
    uint32_t n = 1;
    for (const char *p = colon + 1; *p; p++)
        n += *p == ',';
    hints = ls_arena_alloc((size_t)n * sizeof *hints);
    if (!hints)
        return;
    for (const char *p = colon + 1; *p && nhints < n;) {
        char cls = *p++;
        char *end;
        uint64_t a = strtoull(p, &end, 16);
        if (end != p && strchr("asxru", cls) && cls)
            hints[nhints++] = (struct hint){a, cls};
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            break;
    }
    if (nhints)
        qsort(hints, nhints, sizeof *hints, hint_cmp);
}

static char hint_of(uint64_t vaddr)
{
    uint32_t lo = 0, hi = nhints;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hints[mid].vaddr < vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nhints && hints[lo].vaddr == vaddr ? hints[lo].cls : 0;
}

/* ---- the main program's TLS variables (offsets in its TLS block) --------- */

#define MAX_TLS_VARS 1024
static struct {
    uint64_t off, size;
} tls_vars[MAX_TLS_VARS];
static uint32_t ntls_vars;

static void add_tls_var(uint64_t off, uint64_t size)
{
    if (ntls_vars < MAX_TLS_VARS)
        tls_vars[ntls_vars++].off = off, tls_vars[ntls_vars - 1].size = size;
}

uint64_t ls_tls_var_at(uint64_t off, uint64_t *size)
{
    for (uint32_t i = 0; i < ntls_vars; i++)
        if (off >= tls_vars[i].off && off - tls_vars[i].off < tls_vars[i].size) {
            *size = tls_vars[i].size;
            return tls_vars[i].off;
        }
    *size = 0;
    return 0;
}

/* ---- candidates ---------------------------------------------------------- */

static int is_copy_reloc(const unsigned char *base, const Elf64_Shdr *sh, int nsh, uint64_t value)
{
    for (int i = 0; i < nsh; i++) {
        if (sh[i].sh_type != SHT_RELA || sh[i].sh_entsize != sizeof(Elf64_Rela))
            continue;
        const Elf64_Rela *r = (const Elf64_Rela *)(base + sh[i].sh_offset);
        size_t n = sh[i].sh_size / sizeof *r;
        for (size_t k = 0; k < n; k++)
            if (ELF64_R_TYPE(r[k].r_info) == R_X86_64_COPY && r[k].r_offset == value)
                return 1;
    }
    return 0;
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, name, n))
            return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

static int skip_name(const char *name)
{
    /* Start-up and runtime objects of the toolchain, not the program's. */
    static const char *const names[] = {"completed.0", "__dso_handle", "__TMC_END__",
                                        "_IO_stdin_used", "__data_start", "data_start"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

static void find_candidates_in(const char *file, uint64_t bias, int main_program)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return;
    }
    const unsigned char *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return;
    size_t size = (size_t)st.st_size;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff == 0 || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        goto out;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
    int nsh = eh->e_shnum;
    const Elf64_Shdr *symtab = NULL;
    for (int i = 0; i < nsh; i++)
        if (sh[i].sh_type == SHT_SYMTAB)
            symtab = &sh[i];
    if (!symtab)
        for (int i = 0; i < nsh; i++)
            if (sh[i].sh_type == SHT_DYNSYM)
                symtab = &sh[i];
    if (!symtab || symtab->sh_link >= (uint32_t)nsh ||
        symtab->sh_offset + symtab->sh_size > size)
        goto out;
    const Elf64_Shdr *strtab = &sh[symtab->sh_link];
    if (strtab->sh_offset + strtab->sh_size > size)
        goto out;
    const Elf64_Sym *syms = (const Elf64_Sym *)(base + symtab->sh_offset);
    size_t nsyms = symtab->sh_size / sizeof(Elf64_Sym);
    if (!ls_cands)
        ls_cands = ls_arena_alloc(MAX_CANDIDATES * sizeof *ls_cands);
    if (!ls_cands)
        goto out;
    for (size_t i = 0; i < nsyms && ls_ncands < MAX_CANDIDATES; i++) {
        const Elf64_Sym *s = &syms[i];
        if (main_program && ELF64_ST_TYPE(s->st_info) == STT_TLS && s->st_size)
            add_tls_var(s->st_value, s->st_size);
        if (ELF64_ST_TYPE(s->st_info) != STT_OBJECT || s->st_size == 0 ||
            s->st_shndx == SHN_UNDEF || s->st_shndx >= nsh)
            continue;
        const Elf64_Shdr *sec = &sh[s->st_shndx];
        if (!(sec->sh_flags & SHF_WRITE) || !(sec->sh_flags & SHF_ALLOC) ||
            (sec->sh_flags & SHF_TLS))
            continue;
        if (s->st_name >= strtab->sh_size)
            continue;
        const char *name = (const char *)base + strtab->sh_offset + s->st_name;
        char cls = main_program ? hint_of(s->st_value) : 0;
        if (cls == 's' || skip_name(name))
            continue;
        if (ls_opt.watch_only[0] && !in_list(ls_opt.watch_only, name) && cls != 'a')
            continue;
        if (is_copy_reloc(base, sh, nsh, s->st_value))
            continue;
        struct ls_cand *c = &ls_cands[ls_ncands++];
        c->addr = s->st_value + bias;
        c->size = s->st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)s->st_size;
        c->sync = cls == 'a' ? 1 : cls == 'x' ? 2 : 0;
        c->tier = cls == 'r' ? LS_TIER_READ : cls == 'u' ? LS_TIER_UNREFERENCED : LS_TIER_WRITTEN;
    }
out:
    munmap((void *)base, size);
}

static int cand_cmp(const void *a, const void *b)
{
    const struct ls_cand *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->size > y->size ? -1 : x->size < y->size; /* the larger first */
}

static int order_cmp(const void *a, const void *b)
{
    const struct ls_cand *x = &ls_cands[*(const uint32_t *)a], *y = &ls_cands[*(const uint32_t *)b];
    if (x->tier != y->tier)
        return x->tier - y->tier;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Rotates v[0..n) left by k. */
static void rotate_left(uint32_t *v, uint32_t n, uint32_t k)
{
    if (n < 2 || (k %= n) == 0)
        return;
    for (uint32_t done = 0, start = 0; done < n; start++) {
        uint32_t cur = start, keep = v[start];
        for (;;) {
            uint32_t from = cur + k >= n ? cur + k - n : cur + k;
            done++;
            if (from == start)
                break;
            v[cur] = v[from];
            cur = from;
        }
        v[cur] = keep;
    }
}

/* Each process starts its rotation at its own place within each tier, so
 * that a suite of short processes of one program watches different
 * globals, not the first few in symbol order every time. */
static void spread(uint32_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t seed = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec;
    seed ^= seed >> 33;
    seed *= 0xff51afd7ed558ccdull;
    seed ^= seed >> 33;
    for (uint32_t a = 0; a < n;) {
        uint32_t b = a;
        while (b < n && ls_cands[ls_cand_order[b]].tier == ls_cands[ls_cand_order[a]].tier)
            b++;
        rotate_left(ls_cand_order + a, b - a, (uint32_t)(seed % (b - a)));
        a = b;
    }
}

/* Sorted by address (the handler looks owners up), one per address, and
 * the rotation order by tier, each tier from a place of the process's own. */
static void index_candidates(void)
{
    if (ls_ncands == 0)
        return;
    qsort(ls_cands, ls_ncands, sizeof *ls_cands, cand_cmp);
    uint32_t n = 0;
    for (uint32_t i = 0; i < ls_ncands; i++)
        if (n == 0 || ls_cands[i].addr != ls_cands[n - 1].addr)
            ls_cands[n++] = ls_cands[i];
    ls_ncands = n;
    ls_cand_order = ls_arena_alloc((size_t)n * sizeof *ls_cand_order);
    if (!ls_cand_order) {
        ls_ncands = 0;
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        ls_cand_order[i] = i;
    qsort(ls_cand_order, n, sizeof *ls_cand_order, order_cmp);
    spread(n);
}

int ls_cand_at(uint64_t addr)
{
    uint32_t lo = 0, hi = ls_ncands;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ls_cands[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const struct ls_cand *c = &ls_cands[lo - 1];
    return addr - c->addr < c->size ? (int)(lo - 1) : -1;
}

/* ---- the program's objects ------------------------------------------------- */

static void add_code_range(struct dl_phdr_info *info)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    const uint8_t *eh = NULL;
    uint64_t eh_len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_EH_FRAME) {
            eh = (const uint8_t *)(uintptr_t)(info->dlpi_addr + ph->p_vaddr);
            eh_len = ph->p_memsz;
        }
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uint64_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        lo = s < lo ? s : lo;
        hi = e > hi ? e : hi;
    }
    if (hi && ls_ncode < MAX_CODE_RANGES)
        ls_code[ls_ncode++] = (struct ls_code_range){lo, hi, eh, eh_len};
}

/* The system's own libraries synchronize with what the shim already sees
 * (or are the shim's): their globals are not the program's. */
static int system_library(const char *path)
{
    static const char *const skip[] = {"/libc.so", "/libm.so", "/ld-linux", "/libpthread",
                                       "/libdl.so", "/librt.so", "/libunwind", "/liblzma",
                                       "/libstdc++", "/libgcc_s", "linux-vdso", "liblockscope",
                                       "/libZydis"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strstr(path, skip[i]))
            return 1;
    return 0;
}

static int find_objects(struct dl_phdr_info *info, size_t size, void *arg)
{
    int *first = arg;
    if (*first) {
        /* The first object is the main program. */
        *first = 0;
        load_hints(ls_exe_path(NULL));
        add_code_range(info);
        find_candidates_in("/proc/self/exe", info->dlpi_addr, 1);
        return 0;
    }
    if (!ls_opt.watch_libs || !info->dlpi_name || !*info->dlpi_name ||
        system_library(info->dlpi_name))
        return 0;
    add_code_range(info);
    find_candidates_in(info->dlpi_name, info->dlpi_addr, 0);
    return 0;
}

void ls_cands_find(void)
{
    int first = 1;
    dl_iterate_phdr(find_objects, &first);
    index_candidates();
}
