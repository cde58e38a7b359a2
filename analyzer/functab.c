/* Sorted symbols of one module, answering code-address lookups the way
 * dwfl_module_addrinfo does. */
#include "functab.h"
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

struct ls_fsym {
    uint64_t start, size;
    uint64_t max_end;         /* the furthest end of this and every earlier entry */
    const char *name;         /* libdwfl's: valid while the Dwfl lives */
    int rank;                 /* libdwfl's preference: global, unique, weak, local */
};

struct ls_functab {
    struct ls_fsym *s;        /* sized symbols by start; a tie keeps table order */
    size_t n;
    uint64_t *label;          /* starts of sizeless symbols (assembly labels), sorted */
    size_t nlabel;
};

/* A stable sort by start (least significant byte first): the symbols of
 * a large library sort several times faster than with qsort. */
static int sort_by_start(struct ls_fsym *a, size_t n)
{
    struct ls_fsym *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return -1;
    struct ls_fsym *from = a, *to = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((from[i].start >> shift) & 0xff) + 1]++;
        if (count[((from[0].start >> shift) & 0xff) + 1] == n)
            continue;         /* every key has this byte */
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            to[count[(from[i].start >> shift) & 0xff]++] = from[i];
        struct ls_fsym *x = from;
        from = to;
        to = x;
    }
    if (from != a)
        memcpy(a, from, n * sizeof *a);
    free(tmp);
    return 0;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct ls_functab *ls_functab_new(Dwfl_Module *mod)
{
    int nsyms = dwfl_module_getsymtab(mod);
    if (nsyms <= 0)
        return NULL;
    struct ls_functab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->s = malloc((size_t)nsyms * sizeof t->s[0]);
    t->label = malloc((size_t)nsyms * sizeof t->label[0]);
    if (!t->s || !t->label) {
        ls_functab_free(t);
        return NULL;
    }
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        /* the symbols libdwfl's search considers */
        if (!name || !*name || shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
            type == STT_TLS)
            continue;
        if (sym.st_size == 0) {
            t->label[t->nlabel++] = addr;
            continue;
        }
        int bind = GELF_ST_BIND(sym.st_info);
        t->s[t->n++] = (struct ls_fsym){
            .start = addr,
            .size = sym.st_size,
            .name = name,
            .rank = bind == STB_GLOBAL ? 3 : bind == STB_GNU_UNIQUE ? 2 : bind == STB_WEAK ? 1 : 0,
        };
    }
    if (t->n == 0 || sort_by_start(t->s, t->n) != 0) {
        ls_functab_free(t);
        return NULL;
    }
    uint64_t far = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t end = t->s[i].start + t->s[i].size;
        far = end > far ? end : far;
        t->s[i].max_end = far;
    }
    qsort(t->label, t->nlabel, sizeof t->label[0], by_value);
    return t;
}

void ls_functab_free(struct ls_functab *t)
{
    if (!t)
        return;
    free(t->s);
    free(t->label);
    free(t);
}

/* number of sized symbols starting at or below pc */
static size_t below(const struct ls_functab *t, uint64_t pc)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->s[mid].start <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int ls_functab_find(const struct ls_functab *t, uint64_t pc, const char **name, uint64_t *size)
{
    if (!t)
        return -1;
    size_t lo = below(t, pc);
    if (lo > 0) {
        /* The closest start wins; among the symbols there that hold pc,
         * the best binding, then the first in the table. */
        size_t i = lo - 1;
        uint64_t start = t->s[i].start;
        while (i > 0 && t->s[i - 1].start == start)
            i--;
        const struct ls_fsym *best = NULL;
        for (; i < lo; i++)
            if (pc - start < t->s[i].size && (!best || t->s[i].rank > best->rank))
                best = &t->s[i];
        if (best) {
            *name = best->name;
            *size = best->size;
            return 0;
        }
        /* a symbol that starts further down and still holds pc: libdwfl
         * picks among those */
        if (t->s[lo - 1].max_end > pc)
            return -1;
    }
    /* No sized symbol holds pc.  An assembly label at or below it may
     * name it (libdwfl checks its section): libdwfl decides. */
    if (t->nlabel && t->label[0] <= pc)
        return -1;
    *name = NULL;
    *size = 0;
    return 0;
}
