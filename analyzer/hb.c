#define _GNU_SOURCE
#include "hb.h"
#include "util.h"

#include <stdlib.h>
#include <uthash.h>

struct hb_join {
    uint32_t joiner_epoch;
    int joined;               /* thread index */
    uint32_t joined_epoch;
};

struct hb_thread {
    uint32_t tid;
    int parent;               /* thread index, -1 if none */
    uint32_t parent_epoch;
    struct hb_join *joins;
    size_t njoins, cap;
    uint32_t seen;            /* highest epoch visited in the current query + 1 */
    uint32_t stamp;
};

struct tid_entry {
    uint32_t tid;
    int idx;
    UT_hash_handle hh;
};

struct ls_hb {
    struct hb_thread *t;
    size_t n;
    struct tid_entry *map;
    uint32_t stamp;
    int *work;
    uint32_t *work_epoch;
    size_t work_cap;
};

static int index_of(const struct ls_hb *hb, uint32_t tid)
{
    struct tid_entry *e;
    HASH_FIND(hh, hb->map, &tid, sizeof tid, e);
    return e ? e->idx : -1;
}

struct ls_hb *ls_hb_new(const struct ls_process *p)
{
    struct ls_hb *hb = xcalloc(1, sizeof *hb);
    hb->n = p->nthreads;
    hb->t = xcalloc(hb->n + 1, sizeof *hb->t);
    for (size_t i = 0; i < p->nthreads; i++) {
        struct tid_entry *e;
        uint32_t tid = p->threads[i].tid;
        HASH_FIND(hh, hb->map, &tid, sizeof tid, e);
        if (e)
            continue; /* duplicate start record: keep the first */
        e = xmalloc(sizeof *e);
        e->tid = tid;
        e->idx = (int)i;
        HASH_ADD(hh, hb->map, tid, sizeof e->tid, e);
        hb->t[i].tid = tid;
    }
    for (size_t i = 0; i < p->nthreads; i++) {
        hb->t[i].parent = p->threads[i].parent ? index_of(hb, p->threads[i].parent) : -1;
        hb->t[i].parent_epoch = p->threads[i].parent_epoch;
    }
    for (size_t i = 0; i < p->njoins; i++) {
        int a = index_of(hb, p->joins[i].joiner), b = index_of(hb, p->joins[i].joined);
        if (a < 0 || b < 0)
            continue;
        struct hb_thread *t = &hb->t[a];
        LS_GROW(t->joins, t->cap, t->njoins + 1);
        t->joins[t->njoins++] =
            (struct hb_join){p->joins[i].joiner_epoch, b, p->joins[i].joined_epoch};
    }
    hb->work_cap = hb->n * 2 + 16;
    hb->work = xmalloc(hb->work_cap * sizeof *hb->work);
    hb->work_epoch = xmalloc(hb->work_cap * sizeof *hb->work_epoch);
    return hb;
}

void ls_hb_free(struct ls_hb *hb)
{
    if (!hb)
        return;
    struct tid_entry *e, *tmp;
    HASH_ITER(hh, hb->map, e, tmp) {
        HASH_DEL(hb->map, e);
        free(e);
    }
    for (size_t i = 0; i < hb->n; i++)
        free(hb->t[i].joins);
    free(hb->t);
    free(hb->work);
    free(hb->work_epoch);
    free(hb);
}

static void push(struct ls_hb *hb, size_t *top, int idx, uint32_t epoch)
{
    struct hb_thread *t = &hb->t[idx];
    /* Knowing (idx, epoch) subsumes every lower epoch of that thread. */
    if (t->stamp == hb->stamp && t->seen >= epoch + 1)
        return;
    t->stamp = hb->stamp;
    t->seen = epoch + 1;
    if (*top == hb->work_cap) {
        hb->work_cap *= 2;
        hb->work = xrealloc(hb->work, hb->work_cap * sizeof *hb->work);
        hb->work_epoch = xrealloc(hb->work_epoch, hb->work_cap * sizeof *hb->work_epoch);
    }
    hb->work[*top] = idx;
    hb->work_epoch[*top] = epoch;
    (*top)++;
}

int ls_hb_before(struct ls_hb *hb, uint32_t a, uint32_t ea, uint32_t b, uint32_t eb)
{
    int ia = index_of(hb, a), ib = index_of(hb, b);
    if (ia < 0 || ib < 0)
        return 0;
    if (ia == ib)
        return ea <= eb;
    hb->stamp++;
    size_t top = 0;
    push(hb, &top, ib, eb);
    /* Walk backwards from (b, eb) over what it knows about. */
    while (top > 0) {
        top--;
        int i = hb->work[top];
        uint32_t e = hb->work_epoch[top];
        if (i == ia && ea <= e)
            return 1;
        struct hb_thread *t = &hb->t[i];
        if (t->parent >= 0)
            push(hb, &top, t->parent, t->parent_epoch);
        for (size_t j = 0; j < t->njoins; j++)
            if (t->joins[j].joiner_epoch < e)
                push(hb, &top, t->joins[j].joined, t->joins[j].joined_epoch);
    }
    return 0;
}

int ls_hb_concurrent(struct ls_hb *hb, uint32_t a, uint32_t ea, uint32_t b, uint32_t eb)
{
    return a != b && !ls_hb_before(hb, a, ea, b, eb) && !ls_hb_before(hb, b, eb, a, ea);
}
