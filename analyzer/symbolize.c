/*
 * Offline symbolization with elfutils libdwfl.  See symbolize.h.
 */
#define _GNU_SOURCE
#include "symbolize.h"
#include "symbolize_dw.h"
#include "debuginfo.h"
#include "functab.h"
#include "globals.h"
#include "util.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* Deeper inline chains than this are folded into the real function's frame. */
#define LS_MAX_FRAMES 64

enum { LS_WARN_OPEN = 1, LS_WARN_BUILD_ID = 2 };

typedef char *(*ls_demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

struct ls_objsym {
    uint64_t start, end;
    uint64_t max_end;         /* max(end) over this and all earlier entries */
    int rank;                 /* preference among symbols at the same start */
    const char *name;         /* points into the module's ELF string table */
};

struct ls_mod {
    char *path;
    uint64_t bias, start, end;
    Dwfl_Module *dw;          /* NULL if the file could not be used */
    unsigned warned;          /* LS_WARN_* already printed for this path */
    bool objs_loaded;
    struct ls_objsym *objs;
    size_t nobjs;
    bool funcs_loaded;
    const struct ls_functab *funcs; /* its code symbols (functab.c's, shared) */
    uint64_t funcs_bias;      /* what the table's addresses are relative to */
};

struct ls_str {
    UT_hash_handle hh;
    char s[];
};

struct ls_cached {
    uint64_t addr;
    UT_hash_handle hh;
    int n;
    struct ls_frame frames[];
};

struct ls_symbolizer {
    Dwfl_Callbacks cb;        /* libdwfl keeps a pointer to it */
    char *debuginfo_path;
    Dwfl *dwfl;
    struct ls_mod **mods;
    size_t nmods, capmods;
    struct ls_str *strs;      /* interned strings handed out to callers */
    struct ls_cached *code;
    ls_demangle_fn demangle;
};

static const char *intern(struct ls_symbolizer *s, const char *str)
{
    if (!str)
        return NULL;
    size_t len = strlen(str);
    struct ls_str *e;
    HASH_FIND(hh, s->strs, str, len, e);
    if (e)
        return e->s;
    e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->s, str, len + 1);
    HASH_ADD_KEYPTR(hh, s->strs, e->s, len, e);
    return e->s;
}

/* libstdc++'s demangler, loaded the first time a C++ name is seen: a C
 * program's analysis does not pay for loading and relocating libstdc++.
 * Without it, names stay mangled. */
static ls_demangle_fn demangler(void)
{
    static int tried;
    static ls_demangle_fn fn;
    if (!tried) {
        tried = 1;
        fn = (ls_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
        void *h = fn ? NULL : dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        if (h)
            fn = (ls_demangle_fn)dlsym(h, "__cxa_demangle");
    }
    return fn;
}

static const char *intern_symbol(struct ls_symbolizer *s, const char *name)
{
    if (name && name[0] == '_' && name[1] == 'Z' && !s->demangle)
        s->demangle = demangler();
    if (name && s->demangle && name[0] == '_' && name[1] == 'Z') {
        int status = -1;
        char *d = s->demangle(name, NULL, NULL, &status);
        if (d && status == 0) {
            const char *r = intern(s, d);
            free(d);
            return r;
        }
        free(d);
    }
    return intern(s, name);
}

/* A relative comp_dir (as left by -fdebug-prefix-map) would only make the
 * name longer, not absolute. */
static const char *intern_path(struct ls_symbolizer *s, const char *file, const char *comp_dir)
{
    if (!file || file[0] == '/' || !comp_dir || comp_dir[0] != '/')
        return intern(s, file);
    char *full;
    if (asprintf(&full, "%s/%s", comp_dir, file) < 0)
        return intern(s, file);
    const char *r = intern(s, full);
    free(full);
    return r;
}

struct ls_symbolizer *ls_sym_new(void)
{
    struct ls_symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cb.find_elf = dwfl_build_id_find_elf;
    s->cb.find_debuginfo = ls_find_debuginfo;
    s->cb.section_address = dwfl_offline_section_address;
    s->cb.debuginfo_path = &s->debuginfo_path;
    s->dwfl = dwfl_begin(&s->cb);
    if (!s->dwfl) {
        free(s);
        return NULL;
    }
    /* C++ names (functions, and globals such as a file-static `_ZL3foo`)
     * are shown demangled (demangler()). */
    return s;
}

static void flush_code_cache(struct ls_symbolizer *s)
{
    struct ls_cached *c, *tmp;
    HASH_ITER(hh, s->code, c, tmp) {
        HASH_DEL(s->code, c);
        free(c);
    }
}

void ls_sym_free(struct ls_symbolizer *s)
{
    if (!s)
        return;
    flush_code_cache(s);
    struct ls_str *e, *tmp;
    HASH_ITER(hh, s->strs, e, tmp) {
        HASH_DEL(s->strs, e);
        free(e);
    }
    for (size_t i = 0; i < s->nmods; i++) {
        free(s->mods[i]->path);
        free(s->mods[i]->objs);
        free(s->mods[i]);
    }
    free(s->mods);
    dwfl_end(s->dwfl);
    free(s);
}

/* Warnings are keyed by path so a module reloaded elsewhere does not repeat them. */
static bool already_warned(const struct ls_symbolizer *s, const char *path, unsigned what)
{
    for (size_t i = 0; i < s->nmods; i++)
        if ((s->mods[i]->warned & what) && strcmp(s->mods[i]->path, path) == 0)
            return true;
    return false;
}

static void check_build_id(struct ls_symbolizer *s, struct ls_mod *mod,
                           const struct ls_module_info *m)
{
    if (!m->build_id || m->build_id_len == 0)
        return;
    const unsigned char *bits = NULL;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(mod->dw, &bits, &vaddr);
    if (len > 0 && (size_t)len == m->build_id_len && memcmp(bits, m->build_id, (size_t)len) == 0)
        return;
    if (!already_warned(s, mod->path, LS_WARN_BUILD_ID))
        fprintf(stderr, "lockscope: warning: build-id of '%s' does not match the trace; "
                "symbols may be wrong\n", mod->path);
    mod->warned |= LS_WARN_BUILD_ID;
}

int ls_sym_add_module(struct ls_symbolizer *s, const struct ls_module_info *m)
{
    if (!s || !m || !m->path || !m->path[0])
        return -1;

    /* Re-reporting the same file at the same place would make libdwfl drop
     * the module; merge the ranges instead (e.g. one entry per segment). */
    for (size_t i = 0; i < s->nmods; i++) {
        struct ls_mod *e = s->mods[i];
        if (e->bias != m->bias || strcmp(e->path, m->path) != 0)
            continue;
        if (m->end > m->start) {
            if (e->end <= e->start) {
                e->start = m->start;
                e->end = m->end;
            } else {
                if (m->start < e->start)
                    e->start = m->start;
                if (m->end > e->end)
                    e->end = m->end;
            }
            flush_code_cache(s);
        }
        return e->dw ? 0 : -1;
    }

    if (s->nmods == s->capmods) {
        size_t cap = s->capmods ? 2 * s->capmods : 16;
        struct ls_mod **mods = realloc(s->mods, cap * sizeof *mods);
        if (!mods)
            return -1;
        s->mods = mods;
        s->capmods = cap;
    }
    struct ls_mod *mod = calloc(1, sizeof *mod);
    if (!mod)
        return -1;
    mod->path = strdup(m->path);
    if (!mod->path) {
        free(mod);
        return -1;
    }
    mod->bias = m->bias;
    mod->start = m->start;
    mod->end = m->end;

    char reason[256] = "";
    dwfl_report_begin_add(s->dwfl);
    /* The full path doubles as the module name: basenames need not be unique. */
    mod->dw = dwfl_report_elf(s->dwfl, m->path, m->path, -1, m->bias, false);
    if (!mod->dw)
        snprintf(reason, sizeof reason, "%s", dwfl_errmsg(-1));
    dwfl_report_end(s->dwfl, NULL, NULL);

    if (!mod->dw) {
        if (!already_warned(s, mod->path, LS_WARN_OPEN))
            fprintf(stderr, "lockscope: warning: cannot open module '%s': %s; "
                    "its frames stay unsymbolized\n", mod->path, reason);
        mod->warned |= LS_WARN_OPEN;
    } else {
        if (mod->end <= mod->start) {
            Dwarf_Addr low, high;
            if (dwfl_module_info(mod->dw, NULL, &low, &high, NULL, NULL, NULL, NULL)) {
                mod->start = low;
                mod->end = high;
            }
        }
        check_build_id(s, mod, m);
    }
    s->mods[s->nmods++] = mod;

    /* Earlier lookups may have missed this module or hit one it replaces. */
    flush_code_cache(s);
    return mod->dw ? 0 : -1;
}

/* Later modules win: a range reused after dlclose belongs to the newest mapping. */
static struct ls_mod *find_mod(const struct ls_symbolizer *s, uint64_t addr)
{
    for (size_t i = s->nmods; i-- > 0;) {
        struct ls_mod *m = s->mods[i];
        if (m->start <= addr && addr < m->end)
            return m;
    }
    return NULL;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr)
        || dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        name = dwarf_formstring(&attr);
    if (!name && dwarf_attr_integrate(die, DW_AT_name, &attr))
        name = dwarf_formstring(&attr);
    return name;
}

static int die_udata(Dwarf_Die *die, int name)
{
    Dwarf_Attribute attr;
    Dwarf_Word v;
    if (!dwarf_attr(die, name, &attr) || dwarf_formudata(&attr, &v) != 0)
        return 0;
    return v > (Dwarf_Word)INT32_MAX ? 0 : (int)v;
}

static const char *call_file(struct ls_symbolizer *s, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    Dwarf_Word idx;
    Dwarf_Die cu;
    Dwarf_Files *files;
    size_t nfiles;
    if (!dwarf_attr(die, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &idx) != 0)
        return NULL;
    if (!dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0
        || idx >= nfiles)
        return NULL;
    const char *file = dwarf_filesrc(files, idx, NULL, NULL);
    const char *comp_dir = NULL;
    if (dwarf_attr(&cu, DW_AT_comp_dir, &attr))
        comp_dir = dwarf_formstring(&attr);
    return intern_path(s, file, comp_dir);
}

/* Where every process and thread starts, in the C library: their names say
 * all there is to say, and their lines would cost loading the library's
 * debug information (tens of milliseconds, when installed) for nothing. */
static int libc_entry(const char *name)
{
    static const char *const names[] = {
        "_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main",
        "start_thread", "clone", "clone3", "__clone", "__clone3", "__clone_internal",
    };
    if (!name)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

/* Fills out[0..] (at most LS_MAX_FRAMES) for pc inside a usable module;
 * returns the number of frames, 0 if nothing at all is known. */
static int describe_code(struct ls_symbolizer *s, struct ls_mod *mod, Dwarf_Addr pc,
                         const struct ls_frame *base, struct ls_frame *out)
{
    Dwfl_Module *dw = mod->dw;
    if (!mod->funcs_loaded) {
        mod->funcs_loaded = true;
        GElf_Addr bias = 0;
        if (dwfl_module_getelf(dw, &bias))
            mod->funcs = ls_functab_shared(mod->path, dw, bias);
        mod->funcs_bias = bias;
    }
    uint64_t symsize = 0;
    const char *symname = NULL;
    if (ls_functab_find(mod->funcs, pc - mod->funcs_bias, &symname, &symsize) != 0) {
        GElf_Off symoff;
        GElf_Sym sym;
        symname = dwfl_module_addrinfo(dw, pc, &symoff, &sym, NULL, NULL, NULL);
        symsize = symname ? sym.st_size : 0;
    }
    if (libc_entry(symname)) {
        out[0] = *base;
        out[0].function = intern_symbol(s, symname);
        return 1;
    }

    const char *file = NULL;
    int line = 0, column = 0;
    Dwfl_Line *dl = dwfl_module_getsrc(dw, pc);
    if (dl) {
        const char *f = dwfl_lineinfo(dl, NULL, &line, &column, NULL, NULL);
        if (f)
            file = intern_path(s, f, dwfl_line_comp_dir(dl));
    }

    int n = 0;
    const char *funcname = NULL;
    Dwarf_Addr cubias;
    Dwarf_Die *cudie = dwfl_module_addrdie(dw, pc, &cubias);
    Dwarf_Die *scopes = NULL, *chain = NULL;
    int nchain = 0;
    if (cudie && dwarf_getscopes(cudie, pc - cubias, &scopes) > 0)
        /* dwarf_getscopes may continue into the abstract origin's scopes;
         * the lexical parent chain of the innermost scope is what we want. */
        nchain = dwarf_getscopes_die(&scopes[0], &chain);
    free(scopes);

    for (int i = 0; i < nchain; i++) {
        Dwarf_Die *die = &chain[i];
        int tag = dwarf_tag(die);
        if (tag == DW_TAG_subprogram) {
            funcname = die_name(die);
            break;
        }
        if (tag != DW_TAG_inlined_subroutine)
            continue;
        if (n < LS_MAX_FRAMES - 1) {
            struct ls_frame *f = &out[n++];
            *f = *base;
            f->function = intern_symbol(s, die_name(die));
            f->file = file;
            f->line = line;
            f->column = column;
            f->inlined = 1;
        }
        file = call_file(s, die);
        line = die_udata(die, DW_AT_call_line);
        column = die_udata(die, DW_AT_call_column);
    }
    free(chain);

    if (!funcname)
        funcname = symname;
    if (!funcname && !file && n == 0)
        return 0;
    struct ls_frame *f = &out[n++];
    *f = *base;
    f->function = intern_symbol(s, funcname);
    f->file = file;
    f->line = line;
    f->column = column;
    f->inlined = 0;
    f->func_size = symsize;
    return n;
}

static struct ls_cached *resolve_code(struct ls_symbolizer *s, uint64_t ret_addr)
{
    struct ls_frame frames[LS_MAX_FRAMES];
    /* A return address points after the call; the call itself is at ret - 1. */
    uint64_t pc = ret_addr ? ret_addr - 1 : 0;
    struct ls_mod *mod = find_mod(s, pc);
    struct ls_frame base = { .pc = ret_addr };
    if (mod) {
        base.module = mod->path;
        base.module_offset = ret_addr - mod->bias;
    }
    int n = 0;
    if (mod && mod->dw)
        n = describe_code(s, mod, pc, &base, frames);
    if (n == 0) {
        frames[0] = base;
        n = 1;
    }
    struct ls_cached *c = malloc(sizeof *c + (size_t)n * sizeof c->frames[0]);
    if (!c)
        return NULL;
    c->addr = ret_addr;
    c->n = n;
    memcpy(c->frames, frames, (size_t)n * sizeof frames[0]);
    HASH_ADD(hh, s->code, addr, sizeof c->addr, c);
    return c;
}

int ls_sym_code(struct ls_symbolizer *s, uint64_t ret_addr, struct ls_frame *out, int max)
{
    if (!out || max < 1)
        return 0;
    struct ls_cached *c = NULL;
    if (s) {
        HASH_FIND(hh, s->code, &ret_addr, sizeof ret_addr, c);
        if (!c)
            c = resolve_code(s, ret_addr);
    }
    if (!c) {
        out[0] = (struct ls_frame){ .pc = ret_addr };
        return 1;
    }
    if (c->n <= max) {
        memcpy(out, c->frames, (size_t)c->n * sizeof out[0]);
        return c->n;
    }
    /* Keep the innermost frames but always end with the real function. */
    memcpy(out, c->frames, (size_t)(max - 1) * sizeof out[0]);
    out[max - 1] = c->frames[c->n - 1];
    return max;
}

static int objsym_cmp(const void *a, const void *b)
{
    const struct ls_objsym *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static void load_objects(struct ls_mod *mod)
{
    mod->objs_loaded = true;
    int nsyms = dwfl_module_getsymtab(mod->dw);
    if (nsyms <= 0)
        return;
    mod->objs = malloc((size_t)nsyms * sizeof *mod->objs);
    if (!mod->objs)
        return;
    size_t n = 0;
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(mod->dw, i, &sym, &addr, &shndx, NULL, NULL);
        if (!name || !name[0] || sym.st_size == 0)
            continue;
        int type = GELF_ST_TYPE(sym.st_info);
        if (type != STT_OBJECT && type != STT_COMMON && type != STT_NOTYPE)
            continue;
        /* (GElf_Word)-1: symbol in a non-allocated section, not in memory. */
        if (shndx == SHN_UNDEF || shndx == SHN_ABS || shndx == (GElf_Word)-1)
            continue;
        mod->objs[n++] = (struct ls_objsym){
            .start = addr,
            .end = addr + sym.st_size,
            .rank = (type == STT_OBJECT) * 2 + (GELF_ST_BIND(sym.st_info) == STB_GLOBAL),
            .name = name,
        };
    }
    qsort(mod->objs, n, sizeof *mod->objs, objsym_cmp);
    uint64_t max_end = 0;
    for (size_t i = 0; i < n; i++) {
        if (mod->objs[i].end > max_end)
            max_end = mod->objs[i].end;
        mod->objs[i].max_end = max_end;
    }
    mod->nobjs = n;
}

const char *ls_sym_data(struct ls_symbolizer *s, uint64_t addr, uint64_t *offset, uint64_t *size)
{
    if (!s)
        return NULL;
    struct ls_mod *mod = find_mod(s, addr);
    if (!mod || !mod->dw)
        return NULL;
    if (!mod->objs_loaded)
        load_objects(mod);

    /* hi = number of symbols starting at or below addr */
    size_t lo = 0, hi = mod->nobjs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mod->objs[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Walking down, the first covering symbol is the innermost (latest start)
     * and, among equal starts, the preferred one. */
    for (size_t i = hi; i-- > 0 && mod->objs[i].max_end > addr;) {
        const struct ls_objsym *o = &mod->objs[i];
        if (addr < o->end) {
            if (offset)
                *offset = addr - o->start;
            if (size)
                *size = o->end - o->start;
            return intern_symbol(s, o->name);
        }
    }
    return NULL;
}

/* ---- global variables in the debug information ----------------------------- */

static int located_at(Dwarf_Die *die, Dwarf_Addr vaddr)
{
    Dwarf_Attribute attr;
    Dwarf_Op *expr;
    size_t len;
    if (!dwarf_attr(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &expr, &len) != 0)
        return 0;
    return len >= 1 && expr[0].atom == DW_OP_addr && expr[0].number == vaddr;
}

static int find_var(Dwarf_Die *parent, Dwarf_Addr vaddr, int depth, Dwarf_Die *out)
{
    Dwarf_Die child;
    if (depth > 4 || dwarf_child(parent, &child) != 0)
        return 0;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_variable && located_at(&child, vaddr)) {
            *out = child;
            return 1;
        }
        if ((tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block ||
             tag == DW_TAG_namespace) && find_var(&child, vaddr, depth + 1, out))
            return 1;
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

/* The DIE of the global variable whose first byte is at start. */
static int var_die(struct ls_symbolizer *s, uint64_t start, Dwarf_Die *out)
{
    struct ls_mod *mod = find_mod(s, start);
    if (!mod || !mod->dw)
        return 0;
    Dwarf_Addr bias;
    Dwarf_Die *cu = NULL;
    while ((cu = dwfl_module_nextcu(mod->dw, cu, &bias)) != NULL)
        if (find_var(cu, start - bias, 0, out))
            return 1;
    return 0;
}

int ls_sym_data_atomic(struct ls_symbolizer *s, uint64_t addr)
{
    uint64_t off = 0;
    Dwarf_Die die;
    if (!s || !ls_sym_data(s, addr, &off, NULL) || !var_die(s, addr - off, &die))
        return 0;
    return ls_globals_type_class(&die) == LS_G_ATOMIC_TYPE;
}

/* The type behind typedefs and qualifiers. */
static int strip(Dwarf_Die *type)
{
    for (int depth = 0; depth < 16; depth++) {
        int tag = dwarf_tag(type);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
            tag != DW_TAG_atomic_type && tag != DW_TAG_restrict_type)
            return tag;
        Dwarf_Attribute attr;
        if (!dwarf_attr_integrate(type, DW_AT_type, &attr) || !dwarf_formref_die(&attr, type))
            return -1;
    }
    return -1;
}

static int type_of(Dwarf_Die *die, Dwarf_Die *type)
{
    Dwarf_Attribute attr;
    return dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, type);
}

static Dwarf_Word byte_size(Dwarf_Die *type)
{
    Dwarf_Word n;
    return dwarf_aggregate_size(type, &n) == 0 ? n : 0;
}

/* An array's dimensions (outermost first), at most 8; 0 if unknown. */
static int dims_of(Dwarf_Die *array, Dwarf_Word *dim)
{
    Dwarf_Die sub;
    int n = 0;
    if (dwarf_child(array, &sub) != 0)
        return 0;
    do {
        if (dwarf_tag(&sub) != DW_TAG_subrange_type)
            continue;
        Dwarf_Attribute attr;
        Dwarf_Word v;
        if (n == 8)
            return 0;
        if (dwarf_attr(&sub, DW_AT_count, &attr) && dwarf_formudata(&attr, &v) == 0)
            dim[n++] = v;
        else if (dwarf_attr(&sub, DW_AT_upper_bound, &attr) && dwarf_formudata(&attr, &v) == 0)
            dim[n++] = v + 1;
        else
            return 0;
    } while (dwarf_siblingof(&sub, &sub) == 0);
    return n;
}

/* Into the array element or the member that holds all of [*off, + size):
 * appends "[i]" or ".name" and returns 1; 0 if none does. */
static int descend(struct strbuf *sb, Dwarf_Die *type, uint64_t *off, uint64_t size)
{
    int tag = strip(type);
    if (tag == DW_TAG_array_type) {
        Dwarf_Word dim[8];
        int n = dims_of(type, dim);
        Dwarf_Die elem;
        if (n == 0 || !type_of(type, &elem))
            return 0;
        Dwarf_Word esz = byte_size(&elem);
        if (esz == 0)
            return 0;
        Dwarf_Word stride[8], total = esz;
        for (int i = n; i-- > 0;) {
            stride[i] = total;
            total *= dim[i] ? dim[i] : 1;
        }
        uint64_t first = *off / esz, last = (*off + size - 1) / esz;
        if (first != last) {
            if (n == 1 && *off % esz == 0 && (*off + size) % esz == 0) {
                sb_printf(sb, "[%llu..%llu]", (unsigned long long)first,
                          (unsigned long long)last);
                *off = 0;
                *type = elem;
                return 2; /* whole elements: nothing further down */
            }
            return 0;
        }
        uint64_t rest = *off;
        for (int i = 0; i < n; i++) {
            sb_printf(sb, "[%llu]", (unsigned long long)(rest / stride[i]));
            rest %= stride[i];
        }
        *off = rest;
        *type = elem;
        return 1;
    }
    if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type && tag != DW_TAG_union_type)
        return 0;
    Dwarf_Die m;
    if (dwarf_child(type, &m) != 0)
        return 0;
    do {
        if (dwarf_tag(&m) != DW_TAG_member)
            continue;
        Dwarf_Attribute attr;
        Dwarf_Word moff = 0;
        if (dwarf_attr(&m, DW_AT_data_member_location, &attr) &&
            dwarf_formudata(&attr, &moff) != 0)
            continue;
        Dwarf_Die mt;
        if (!type_of(&m, &mt))
            continue;
        Dwarf_Word msz = byte_size(&mt);
        const char *name = dwarf_diename(&m);
        if (!name || msz == 0 || *off < moff || *off + size > moff + msz)
            continue;
        sb_printf(sb, ".%s", name);
        *off -= moff;
        *type = mt;
        return 1;
    } while (dwarf_siblingof(&m, &m) == 0);
    return 0;
}

char *ls_sym_data_member(struct ls_symbolizer *s, uint64_t addr, uint64_t size)
{
    uint64_t off = 0;
    const char *name = s ? ls_sym_data(s, addr, &off, NULL) : NULL;
    Dwarf_Die die, type;
    if (!name || size == 0 || !var_die(s, addr - off, &die) || !type_of(&die, &type))
        return NULL;
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, name);
    for (int depth = 0; depth < 16 && descend(&sb, &type, &off, size) == 1; depth++)
        ;
    if (off)
        sb_printf(&sb, "+%llu", (unsigned long long)off);
    return sb_detach(&sb);
}

char *ls_dw_pointee_member(const char *name, Dwarf_Die *pointee, uint64_t off, uint64_t size)
{
    int tag = strip(pointee);
    struct strbuf sb;
    sb_init(&sb);
    if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type) {
        struct strbuf m;
        sb_init(&m);
        if (descend(&m, pointee, &off, size) == 1 && m.len && m.buf[0] == '.') {
            sb_printf(&sb, "%s->%s", name, m.buf + 1);
            for (int depth = 0; depth < 16 && descend(&sb, pointee, &off, size) == 1; depth++)
                ;
        } else {
            sb_printf(&sb, "*%s", name);
        }
        sb_free(&m);
    } else {
        /* A pointer to elements: an index. */
        Dwarf_Word esz = byte_size(pointee);
        if (esz && off % esz == 0 && size <= esz) {
            sb_printf(&sb, "%s[%llu]", name, (unsigned long long)(off / esz));
            off = 0;
        } else {
            sb_printf(&sb, "*%s", name);
        }
    }
    if (off)
        sb_printf(&sb, "+%llu", (unsigned long long)off);
    return sb_detach(&sb);
}

char *ls_dw_pointer_member(const char *name, Dwarf_Die *pointee, uint64_t off,
                           Dwarf_Die *target)
{
    int tag = strip(pointee);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type && tag != DW_TAG_union_type)
        return NULL;
    Dwarf_Die type = *pointee;
    struct strbuf m;
    sb_init(&m);
    for (int depth = 0; depth < 16 && descend(&m, &type, &off, 8) == 1; depth++)
        if (strip(&type) == DW_TAG_pointer_type)
            break;
    if (off || !m.len || m.buf[0] != '.' || strip(&type) != DW_TAG_pointer_type ||
        !type_of(&type, target)) {
        sb_free(&m);
        return NULL;
    }
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s->%s", name, m.buf + 1);
    sb_free(&m);
    return sb_detach(&sb);
}

char *ls_sym_pointee_member(struct ls_symbolizer *s, uint64_t global, uint64_t off,
                            uint64_t size)
{
    uint64_t goff = 0;
    const char *name = s ? ls_sym_data(s, global, &goff, NULL) : NULL;
    Dwarf_Die die, type, pointee;
    if (!name || goff || size == 0 || !var_die(s, global, &die) || !type_of(&die, &type) ||
        strip(&type) != DW_TAG_pointer_type || !type_of(&type, &pointee))
        return NULL;
    return ls_dw_pointee_member(name, &pointee, off, size);
}

Dwfl_Module *ls_sym_dwfl(struct ls_symbolizer *s, uint64_t addr)
{
    struct ls_mod *mod = s ? find_mod(s, addr) : NULL;
    return mod ? mod->dw : NULL;
}

int ls_dw_strip(Dwarf_Die *type)
{
    return strip(type);
}

int ls_dw_type_of(Dwarf_Die *die, Dwarf_Die *type)
{
    return type_of(die, type);
}

uint64_t ls_dw_size(Dwarf_Die *type)
{
    return byte_size(type);
}
