/*
 * The module map: every loaded ELF object with its load bias, address range
 * and build-id, so that the analyzer can symbolize raw addresses offline.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#define MAX_MODULES 1024

struct module {
    uint64_t start, end, bias;
    uint32_t id;
    char path[512];
    uint8_t build_id[64];
    uint32_t build_id_len;
};

static struct module mods[MAX_MODULES];
static int nmods;
static struct ls_spin spin;
static uint64_t self_start, self_end;
/* The program's path, read once (/proc/self/exe): the module map, the
 * process record and the watch candidates all need it. */
static char exe_path[PATH_MAX];
static size_t exe_len;

static uint32_t find_build_id(struct dl_phdr_info *info, uint8_t *out, uint32_t cap)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *n;
            const char *desc = name + ((n->n_namesz + 3) & ~3u);
            if (desc + n->n_descsz > end)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                uint32_t len = n->n_descsz < cap ? n->n_descsz : cap;
                memcpy(out, desc, len);
                return len;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 0;
}

static void emit(const struct module *m)
{
    struct ls_rec_module r = {
        .id = m->id,
        .build_id_len = m->build_id_len,
        .bias = m->bias,
        .start = m->start,
        .end = m->end,
    };
    ls_writer_record(LS_REC_MODULE, &r, sizeof r, m->build_id, m->build_id_len, m->path,
                     strlen(m->path) + 1);
}

struct scan_ctx {
    int emit_new;
};

static int on_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct scan_ctx *ctx = arg;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (s < lo)
            lo = s;
        if (e > hi)
            hi = e;
    }
    if (hi == 0)
        return 0;
    for (int i = 0; i < nmods; i++)
        if (mods[i].start == lo && mods[i].bias == info->dlpi_addr)
            return 0;
    const char *name = info->dlpi_name;
    if (!name || !*name)
        name = exe_path; /* the main program */
    if (nmods == MAX_MODULES)
        return 1;
    struct module *m = &mods[nmods];
    memset(m, 0, sizeof *m);
    m->start = lo;
    m->end = hi;
    m->bias = info->dlpi_addr;
    m->id = (uint32_t)nmods + 1;
    ls_strlcpy(m->path, name, sizeof m->path);
    m->build_id_len = find_build_id(info, m->build_id, sizeof m->build_id);
    nmods++;
    if (ctx->emit_new)
        emit(m);
    return 0;
}

void ls_modules_init(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_len = n > 0 ? (size_t)n : 0;
    exe_path[exe_len] = 0;
    struct scan_ctx ctx = {.emit_new = 0};
    ls_spin_lock(&spin);
    dl_iterate_phdr(on_object, &ctx);
    /* Our own range, so the unwinder can drop the shim's frames. */
    uintptr_t here = (uintptr_t)&ls_modules_init;
    for (int i = 0; i < nmods; i++)
        if (here >= mods[i].start && here < mods[i].end) {
            self_start = mods[i].start;
            self_end = mods[i].end;
        }
    ls_spin_unlock(&spin);
}

const char *ls_exe_path(size_t *len)
{
    if (len)
        *len = exe_len;
    return exe_path;
}

int ls_in_self(uintptr_t ip)
{
    return ip >= self_start && ip < self_end;
}

void ls_modules_rewrite(void)
{
    ls_spin_lock(&spin);
    for (int i = 0; i < nmods; i++)
        emit(&mods[i]);
    ls_spin_unlock(&spin);
}

static int covered(uint64_t ip)
{
    for (int i = 0; i < nmods; i++)
        if (ip >= mods[i].start && ip < mods[i].end)
            return 1;
    return 0;
}

int ls_modules_have(uintptr_t addr)
{
    ls_spin_lock(&spin);
    int r = covered(addr);
    ls_spin_unlock(&spin);
    return r;
}

void ls_modules_cover(const uint64_t *ips, int n)
{
    ls_spin_lock(&spin);
    for (int i = 0; i < n; i++) {
        if (!covered(ips[i])) {
            /* Something was loaded since the last scan (dlopen).  Scanning
             * takes the loader's write lock, which glibc holds only while it
             * edits the list of objects, never while running the program's
             * code, so this cannot wait on a lock the program holds. */
            struct scan_ctx ctx = {.emit_new = 1};
            dl_iterate_phdr(on_object, &ctx);
            break;
        }
    }
    ls_spin_unlock(&spin);
}
