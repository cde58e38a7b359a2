/*
 * The fields of a thread's argument, from its start routine's types.  See
 * argtype.h.
 */
#define _GNU_SOURCE
#include "argtype.h"
#include "symbolize_dw.h"
#include "util.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

/* Distinct struct types a routine's locals point to, kept to tell one from
 * several. */
#define MAX_TYPES 4

enum { ROUTINE_NONE, ROUTINE_TYPED, ROUTINE_AMBIGUOUS };

/* One start routine, looked at once. */
struct routine {
    uint64_t start;
    int state;                /* ROUTINE_* */
    Dwarf_Die pointee;        /* TYPED: the struct its argument points to */
    uint64_t size;            /* its size */
    char *name;               /* TYPED: the pointer's name ("j"), else the struct's */
};

struct ls_argtypes {
    const struct ls_process *p;
    struct ls_symbolizer *sym;
    struct routine *routines;
    size_t n, cap;
};

struct ls_argtypes *ls_argtypes_new(const struct ls_process *p, struct ls_symbolizer *s)
{
    struct ls_argtypes *a = xcalloc(1, sizeof *a);
    a->p = p;
    a->sym = s;
    return a;
}

void ls_argtypes_free(struct ls_argtypes *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->routines[i].name);
    free(a->routines);
    free(a);
}

/* The struct (union, class) *die's type points to: 1 and *pointee (behind
 * typedefs and qualifiers), else 0. */
static int struct_pointer(Dwarf_Die *die, Dwarf_Die *pointee)
{
    Dwarf_Die t;
    if (!ls_dw_type_of(die, &t) || ls_dw_strip(&t) != DW_TAG_pointer_type ||
        !ls_dw_type_of(&t, pointee))
        return 0;
    int tag = ls_dw_strip(pointee);
    return tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type;
}

/* The distinct struct types the locals of a scope point to. */
struct seen {
    Dwarf_Die type[MAX_TYPES];
    const char *name[MAX_TYPES]; /* the first pointer of that type's name */
    int names_differ[MAX_TYPES];
    int n;
    int overflow;             /* more than MAX_TYPES */
    int scalar_pointer;       /* a local points to a wider scalar (long *, int **): it may be
                               * what the argument is */
};

/* Whether *die's type points to a scalar wider than a char, or to a
 * pointer: a thread argument is often one (long *c = arg). */
static int scalar_pointer(Dwarf_Die *die)
{
    Dwarf_Die t, to;
    if (!ls_dw_type_of(die, &t) || ls_dw_strip(&t) != DW_TAG_pointer_type ||
        !ls_dw_type_of(&t, &to))
        return 0;
    int tag = ls_dw_strip(&to);
    return tag == DW_TAG_pointer_type || tag == DW_TAG_enumeration_type ||
           (tag == DW_TAG_base_type && ls_dw_size(&to) > 1);
}

static void note_type(struct seen *s, Dwarf_Die *var, Dwarf_Die *pointee)
{
    const char *name = dwarf_diename(var);
    for (int i = 0; i < s->n; i++)
        if (dwarf_dieoffset(&s->type[i]) == dwarf_dieoffset(pointee)) {
            if (!s->name[i] || !name || strcmp(s->name[i], name) != 0)
                s->names_differ[i] = 1;
            return;
        }
    if (s->n == MAX_TYPES) {
        s->overflow = 1;
        return;
    }
    s->type[s->n] = *pointee;
    s->name[s->n] = name;
    s->names_differ[s->n] = 0;
    s->n++;
}

/* The locals (and parameters) of a scope and of its lexical blocks; not
 * those of the functions inlined into it: they are other functions'. */
static void walk(Dwarf_Die *scope, struct seen *s, int depth)
{
    Dwarf_Die child, pointee;
    if (depth > 32 || dwarf_child(scope, &child) != 0)
        return;
    do {
        int tag = dwarf_tag(&child);
        if ((tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) &&
            struct_pointer(&child, &pointee))
            note_type(s, &child, &pointee);
        else if ((tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) &&
                 scalar_pointer(&child))
            s->scalar_pointer = 1;
        else if (tag == DW_TAG_lexical_block)
            walk(&child, s, depth + 1);
    } while (dwarf_siblingof(&child, &child) == 0);
}

/* The function that starts at pc (a runtime address): its DIE. */
static int subprogram_at(struct ls_symbolizer *sym, uint64_t pc, Dwarf_Die *out)
{
    Dwfl_Module *mod = ls_sym_dwfl(sym, pc);
    Dwarf_Addr bias;
    Dwarf_Die *cu = mod ? dwfl_module_addrdie(mod, pc, &bias) : NULL;
    Dwarf_Die *scopes = NULL;
    int n = cu ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (dwarf_tag(&scopes[i]) != DW_TAG_subprogram)
            continue;
        Dwarf_Addr entry;
        if (dwarf_entrypc(&scopes[i], &entry) == 0 && entry == pc - bias) {
            *out = scopes[i];
            found = 1;
        }
        break; /* the innermost function holding pc starts there, or none does */
    }
    free(scopes);
    return found;
}

/* A struct's own name, for a pointer without one. */
static const char *tag_name(Dwarf_Die *type)
{
    Dwarf_Die t = *type;
    return ls_dw_strip(&t) > 0 ? dwarf_diename(&t) : NULL;
}

static void typed(struct routine *r, Dwarf_Die *pointee, const char *name)
{
    uint64_t size = ls_dw_size(pointee);
    if (!name || !size || dwarf_hasattr(pointee, DW_AT_declaration))
        return; /* an incomplete type: nothing to name its bytes by */
    r->state = ROUTINE_TYPED;
    r->pointee = *pointee;
    r->size = size;
    r->name = xstrdup(name);
}

/* What a start routine's argument is: its parameter's type, else the one
 * struct type its locals point to. */
static void examine(struct ls_argtypes *a, struct routine *r)
{
    Dwarf_Die fn, origin, child, pointee;
    if (!subprogram_at(a->sym, r->start, &fn))
        return;
    /* A concrete copy of an inline function may lack the locals it
     * optimized away: its abstract origin declares them all. */
    Dwarf_Attribute attr;
    if (dwarf_attr(&fn, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &origin))
        fn = origin;
    if (dwarf_child(&fn, &child) == 0) {
        do {
            if (dwarf_tag(&child) != DW_TAG_formal_parameter)
                continue;
            if (dwarf_hasattr_integrate(&child, DW_AT_artificial))
                continue;
            if (struct_pointer(&child, &pointee)) {
                const char *name = dwarf_diename(&child);
                typed(r, &pointee, name ? name : tag_name(&pointee));
                return;
            }
            break; /* the argument is the first parameter */
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    struct seen s = {0};
    walk(&fn, &s, 0);
    /* The one struct pointer names the argument's fields only when no
     * other pointer could be the argument (char pointers aside: a
     * struct's strings are commonly read into one). */
    if (s.overflow || s.n > 1 || (s.n == 1 && s.scalar_pointer)) {
        r->state = ROUTINE_AMBIGUOUS;
        return;
    }
    if (s.n == 1)
        typed(r, &s.type[0], s.names_differ[0] || !s.name[0] ? tag_name(&s.type[0]) : s.name[0]);
}

static struct routine *routine_of(struct ls_argtypes *a, uint64_t start)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->routines[i].start == start)
            return &a->routines[i];
    LS_GROW(a->routines, a->cap, a->n + 1);
    struct routine *r = &a->routines[a->n++];
    memset(r, 0, sizeof *r);
    r->start = start;
    if (start && a->sym)
        examine(a, r);
    return r;
}

/* Memory a pointer in a thread's argument led to: named through that
 * pointer member of the argument's struct ("w->st->count"), when the
 * thread's start routine types its argument and the member at the word
 * that held the pointer is one. */
static char *through_arg(struct ls_argtypes *a, const struct ls_object_rec *o, uint64_t lo,
                         uint64_t hi)
{
    for (size_t i = 0; i < a->p->nthread_args; i++) {
        const struct ls_rec_thread_arg *ta = &a->p->thread_args[i];
        if (ta->tid != o->r.arg_tid || o->r.via_addr < ta->arg)
            continue;
        const struct routine *r = routine_of(a, ta->start);
        if (r->state != ROUTINE_TYPED || o->r.via_addr - ta->arg + 8 > r->size)
            return NULL;
        Dwarf_Die pointee = r->pointee, target;
        char *path = ls_dw_pointer_member(r->name, &pointee, o->r.via_addr - ta->arg, &target);
        if (!path)
            return NULL;
        /* A heap block's extent is known: a type wider than it is not what
         * the block holds. */
        uint64_t extent = o->r.alloc_size ? o->r.alloc_size : o->r.size;
        uint64_t tsize = ls_dw_size(&target);
        char *name = NULL;
        if (tsize && (o->r.kind != LS_OBJ_HEAP || tsize <= extent) && lo >= o->r.addr &&
            hi <= o->r.addr + tsize)
            name = ls_dw_pointee_member(path, &target, lo - o->r.addr, hi - lo);
        free(path);
        return name;
    }
    return NULL;
}

char *ls_argtypes_member(struct ls_argtypes *a, const struct ls_object_rec *o, uint64_t lo,
                         uint64_t hi)
{
    if (!a || !o || hi <= lo || (o->r.kind != LS_OBJ_HEAP && o->r.kind != LS_OBJ_STACK))
        return NULL;
    if (o->r.via == LS_OBJ_VIA_ARG_PTR)
        return through_arg(a, o, lo, hi);
    /* A heap block's extent is known: a type that does not fit in it from
     * the argument on is not what the block holds.  A stack window's is
     * not (the struct may go on past it). */
    uint64_t extent = o->r.alloc_size ? o->r.alloc_size : o->r.size;
    char *found = NULL;
    for (size_t i = 0; i < a->p->nthread_args; i++) {
        const struct ls_rec_thread_arg *ta = &a->p->thread_args[i];
        if (ta->obj != o->r.id || ta->arg < o->r.addr)
            continue;
        uint64_t aoff = ta->arg - o->r.addr;
        const struct routine *r = routine_of(a, ta->start);
        if (r->state == ROUTINE_NONE)
            continue; /* it says nothing about the bytes */
        if (r->state == ROUTINE_AMBIGUOUS ||
            (o->r.kind == LS_OBJ_HEAP && (aoff > extent || r->size > extent - aoff)))
            goto unsure;
        if (lo < ta->arg || hi > ta->arg + r->size)
            continue; /* bytes of the block besides the struct */
        Dwarf_Die pointee = r->pointee;
        char *name = ls_dw_pointee_member(r->name, &pointee, lo - ta->arg, hi - lo);
        if (found && strcmp(found, name) != 0) {
            free(name);
            goto unsure;
        }
        free(found);
        found = name;
    }
    return found;
unsure:
    free(found);
    return NULL;
}
