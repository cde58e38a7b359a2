/*
 * Target for tests/unit/test_symbolize.c.  Prints its own module layout and
 * a few addresses; the test symbolizes them offline and checks the results
 * against the MARK comments below (never renumber by hand: the test greps).
 *
 * Output, one "key VALUE" per line: bias, start, end (main program's
 * mapped range), global (&target_global[2]), static (&target_static),
 * struct (&target_struct),
 * ret (the return address of the call to capture_ret inside inlined_fn), all as
 * 0x-hex; and buildid (plain hex, empty if the program has none).
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int target_global[4];
static long target_static;
/* Named member by member and element by element from the debug info. */
struct {
    int id;
    char name[6];
    short flags;
    long grid[2][3];
} target_struct;

__attribute__((noinline, noclone)) static void *capture_ret(void)
{
    void *ret = __builtin_return_address(0);
    __asm__ volatile("" : : "r"(ret) : "memory");
    return ret;
}

static inline __attribute__((always_inline)) void *inlined_fn(int x)
{
    target_static += x;
    void *ret = capture_ret(); /* MARK:inlined_call */
    target_global[x & 3] += 1;
    return ret;
}

__attribute__((noinline)) void *noinline_fn(int x);
__attribute__((noinline)) void *noinline_fn(int x)
{
    void *ret = inlined_fn(x); /* MARK:outer_call */
    target_static *= 3;
    return ret;
}

struct range {
    uintptr_t bias, start, end;
    int done;
    char build_id[128];
};

static void find_build_id(struct range *r, const ElfW(Phdr) *ph, uintptr_t bias)
{
    size_t align = ph->p_align == 8 ? 8 : 4;
    const char *p = (const char *)(bias + ph->p_vaddr);
    const char *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        const char *name = p + sizeof *nh;
        const unsigned char *desc =
            (const unsigned char *)name + ((nh->n_namesz + align - 1) & ~(align - 1));
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0
            && nh->n_descsz * 2 < sizeof r->build_id) {
            for (size_t i = 0; i < nh->n_descsz; i++)
                sprintf(r->build_id + 2 * i, "%02x", desc[i]);
            return;
        }
        p = (const char *)desc + ((nh->n_descsz + align - 1) & ~(align - 1));
    }
}

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct range *r = arg;
    (void)size;
    if (r->done)
        return 1;
    r->done = 1;  /* the main program is reported first */
    r->bias = info->dlpi_addr;
    r->start = UINTPTR_MAX;
    r->end = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE && !r->build_id[0])
            find_build_id(r, ph, info->dlpi_addr);
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        uintptr_t hi = lo + ph->p_memsz;
        if (lo < r->start)
            r->start = lo;
        if (hi > r->end)
            r->end = hi;
    }
    return 1;
}

int main(int argc, char **argv)
{
    (void)argv;
    struct range r = { 0 };
    dl_iterate_phdr(phdr_cb, &r);
    void *ret = noinline_fn(argc);
    printf("bias 0x%jx\n", (uintmax_t)r.bias);
    printf("start 0x%jx\n", (uintmax_t)r.start);
    printf("end 0x%jx\n", (uintmax_t)r.end);
    printf("global 0x%jx\n", (uintmax_t)(uintptr_t)&target_global[2]);
    printf("static 0x%jx\n", (uintmax_t)(uintptr_t)&target_static);
    printf("struct 0x%jx\n", (uintmax_t)(uintptr_t)&target_struct);
    printf("ret 0x%jx\n", (uintmax_t)(uintptr_t)ret);
    printf("buildid %s\n", r.build_id);
    return target_static == 42 && target_struct.id == 42;
}
