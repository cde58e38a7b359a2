#define _GNU_SOURCE
#include "profile.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int by_wait(const void *a, const void *b)
{
    const struct ls_fprofile *x = a, *y = b;
    if (x->wait_ns != y->wait_ns)
        return x->wait_ns > y->wait_ns ? -1 : 1;
    return x->acquisitions > y->acquisitions ? -1 : x->acquisitions < y->acquisitions;
}

static int by_hold(const void *a, const void *b)
{
    const struct ls_fprofile *x = a, *y = b;
    if (x->hold_max_ns != y->hold_max_ns)
        return x->hold_max_ns > y->hold_max_ns ? -1 : 1;
    return by_wait(a, b);
}

static int site_by_wait(const void *a, const void *b)
{
    const struct ls_fsite *x = a, *y = b;
    return x->wait_ns > y->wait_ns ? -1 : x->wait_ns < y->wait_ns;
}

static void add_rest(struct ls_report *r, const struct ls_fprofile *f)
{
    r->profile_rest.locks++;
    r->profile_rest.acquisitions += f->acquisitions;
    r->profile_rest.contended += f->contended;
    r->profile_rest.wait_ns += f->wait_ns;
}

/* The numbers of one lock, without its stacks. */
static void numbers(const struct ls_rec_profile *q, size_t proc, struct ls_fprofile *f)
{
    memset(f, 0, sizeof *f);
    f->proc = proc;
    f->acquisitions = q->acquisitions;
    f->contended = q->contended;
    f->owner_changes = q->owner_changes;
    f->wait_ns = q->wait_ns;
    f->wait_max_ns = q->wait_max_ns;
    f->hold_samples = q->hold_samples;
    f->hold_max_ns = q->hold_max_ns;
    f->long_holds = q->long_holds;
    f->hold_slack_ns = q->hold_slack_ns;
    /* The long holds were all timed; the sampled short ones stand for the
     * other acquisitions (a corrupt trace may ask for more than 64 bits:
     * capped). */
    double shorts = q->acquisitions > q->long_holds ? (double)(q->acquisitions - q->long_holds)
                                                    : 0.0;
    double est = (double)q->long_hold_ns +
                 (q->hold_samples ? (double)q->hold_sampled_ns * shorts / (double)q->hold_samples
                                  : 0.0);
    f->hold_est_ns = est >= 1.8e19 ? UINT64_MAX : (uint64_t)est;
}

static int idx_by_hold(const void *a, const void *b, void *v)
{
    const struct ls_fprofile *p = v;
    return by_hold(&p[*(const size_t *)a], &p[*(const size_t *)b]);
}

static int idx_by_wait(const void *a, const void *b, void *v)
{
    const struct ls_fprofile *p = v;
    return by_wait(&p[*(const size_t *)a], &p[*(const size_t *)b]);
}

/* Marks in keep[] the first LS_PROFILE_KEEP of v[] by longest hold and by
 * total wait; leaves idx[] the indices of v[] in wait order. */
static void choose(const struct ls_fprofile *v, size_t n, unsigned char *keep, size_t *idx)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, idx_by_hold, (void *)v);
    for (size_t i = 0; i < n && i < LS_PROFILE_KEEP; i++)
        keep[idx[i]] = 1;
    qsort_r(idx, n, sizeof *idx, idx_by_wait, (void *)v);
    for (size_t i = 0; i < n && i < LS_PROFILE_KEEP; i++)
        keep[idx[i]] = 1;
}

void ls_collect_profile(struct ls_process *p, size_t proc, struct ls_report *r)
{
    size_t n = p->nprofiles;
    if (n == 0)
        return;
    struct ls_fprofile *v = xcalloc(n, sizeof *v);
    unsigned char *keep = xcalloc(n, 1);
    size_t *idx = xcalloc(n, sizeof *idx);
    for (size_t i = 0; i < n; i++)
        numbers(&p->profiles[i].r, proc, &v[i]);
    choose(v, n, keep, idx);
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        struct ls_fprofile *f = &v[i];
        if (!keep[i]) {
            add_rest(r, f);
            continue;
        }
        const struct ls_rec_profile *q = &p->profiles[i].r;
        LS_GROW(r->profiles, r->cap_profiles, r->nprofiles + 1);
        struct ls_fprofile *o = &r->profiles[r->nprofiles++];
        *o = *f;
        ls_flock_build(p, q->lock, &o->lock);
        o->nsites = q->nsites;
        o->sites = xcalloc(q->nsites + 1, sizeof *o->sites);
        for (uint32_t j = 0; j < q->nsites; j++) {
            ls_fstack_build(p, p->profiles[i].sites[j].stack, &o->sites[j].stack);
            o->sites[j].waits = p->profiles[i].sites[j].waits;
            o->sites[j].wait_ns = p->profiles[i].sites[j].wait_ns;
        }
        if (o->nsites > 1)
            qsort(o->sites, o->nsites, sizeof *o->sites, site_by_wait);
    }
    free(v);
    free(keep);
    free(idx);

    /* Across processes: the same bound, applied once it is well passed. */
    size_t m = r->nprofiles;
    if (m > 4 * LS_PROFILE_KEEP) {
        unsigned char *k2 = xcalloc(m, 1);
        size_t *i2 = xcalloc(m, sizeof *i2);
        struct ls_fprofile *old = r->profiles;
        choose(old, m, k2, i2);
        struct ls_fprofile *kept = xcalloc(m, sizeof *kept);
        size_t out = 0;
        for (size_t k = 0; k < m; k++) {
            struct ls_fprofile *f = &old[i2[k]];
            if (k2[i2[k]]) {
                kept[out++] = *f;
            } else {
                add_rest(r, f);
                ls_fprofile_free(f);
            }
        }
        free(old);
        r->profiles = kept;
        r->cap_profiles = m;
        r->nprofiles = out;
        free(k2);
        free(i2);
        return;
    }
    if (r->nprofiles > 1)
        qsort(r->profiles, r->nprofiles, sizeof *r->profiles, by_wait);
}
