/* Sorted symbols of one module, answering code-address lookups the way
 * dwfl_module_addrinfo does. */
#include "functab.h"
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Addresses are relative to the module's load bias, and names the table's
 * own: one table serves every process that loaded the same file, wherever
 * it was loaded (symbolize.c keeps them for the whole analysis). */
struct ls_fsym {
    uint64_t start, size;
    uint64_t max_end;         /* the furthest end of this and every earlier entry */
    const char *name;         /* in names */
    int rank;                 /* libdwfl's preference: global, unique, weak, local */
};

struct ls_functab {
    struct ls_fsym *s;        /* sized symbols by start; a tie keeps table order */
    size_t n;
    uint64_t *label;          /* starts of sizeless symbols (assembly labels), sorted */
    size_t nlabel;
    char *names;              /* every name, NUL-terminated, one after the other */
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

struct ls_functab *ls_functab_new(Dwfl_Module *mod, uint64_t bias)
{
    int nsyms = dwfl_module_getsymtab(mod);
    if (nsyms <= 0)
        return NULL;
    struct ls_functab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->s = malloc((size_t)nsyms * sizeof t->s[0]);
    t->label = malloc((size_t)nsyms * sizeof t->label[0]);
    size_t *name_at = malloc((size_t)nsyms * sizeof *name_at);
    size_t len = 0, cap = 4096;
    t->names = malloc(cap);
    if (!t->s || !t->label || !name_at || !t->names) {
        free(name_at);
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
            t->label[t->nlabel++] = addr - bias;
            continue;
        }
        size_t n = strlen(name) + 1;
        if (len + n > cap) {
            while (len + n > cap)
                cap *= 2;
            char *more = realloc(t->names, cap);
            if (!more) {
                free(name_at);
                ls_functab_free(t);
                return NULL;
            }
            t->names = more;
        }
        memcpy(t->names + len, name, n);
        name_at[t->n] = len;
        len += n;
        int bind = GELF_ST_BIND(sym.st_info);
        t->s[t->n++] = (struct ls_fsym){
            .start = addr - bias,
            .size = sym.st_size,
            .name = NULL,
            .rank = bind == STB_GLOBAL ? 3 : bind == STB_GNU_UNIQUE ? 2 : bind == STB_WEAK ? 1 : 0,
        };
    }
    /* (names may have moved while growing: pointed at only now) */
    for (size_t i = 0; i < t->n; i++)
        t->s[i].name = t->names + name_at[i];
    free(name_at);
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
    free(t->names);
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

/* ---- one table a file, for the whole analysis --------------------------- */

/* Every process of a suite loads the C library and most of the same files:
 * building their tables once, not once a process, took the analysis of
 * 203 short processes from 1,048M instructions (91% of them building the
 * tables) to 101M, 291 ms to 52 ms.  A file is known by what stat says of it, so a
 * library rebuilt during the suite is another file. */
struct shared_tab {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct ls_functab *tab;   /* NULL: the file has no table */
};

static struct shared_tab *shared;
static size_t nshared, capshared;

const struct ls_functab *ls_functab_shared(const char *path, Dwfl_Module *mod, uint64_t bias)
{
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return NULL;
    for (size_t i = 0; i < nshared; i++) {
        const struct shared_tab *e = &shared[i];
        if (e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
            e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec)
            return e->tab;
    }
    if (nshared == capshared) {
        size_t cap = capshared ? 2 * capshared : 16;
        struct shared_tab *more = realloc(shared, cap * sizeof *more);
        if (!more)
            return NULL;
        shared = more;
        capshared = cap;
    }
    shared[nshared++] = (struct shared_tab){st.st_dev, st.st_ino, st.st_size, st.st_mtim,
                                            ls_functab_new(mod, bias)};
    return shared[nshared - 1].tab;
}

__attribute__((destructor)) static void free_shared(void)
{
    for (size_t i = 0; i < nshared; i++)
        ls_functab_free(shared[i].tab);
    free(shared);
    shared = NULL;
    nshared = capshared = 0;
}
