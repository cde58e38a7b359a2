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

static int site_by_wait(const void *a, const void *b)
{
    const struct ls_fsite *x = a, *y = b;
    return x->wait_ns > y->wait_ns ? -1 : x->wait_ns < y->wait_ns;
}

void ls_collect_profile(struct ls_process *p, size_t proc, struct ls_report *r)
{
    for (size_t i = 0; i < p->nprofiles; i++) {
        const struct ls_rec_profile *q = &p->profiles[i].r;
        LS_GROW(r->profiles, r->cap_profiles, r->nprofiles + 1);
        struct ls_fprofile *f = &r->profiles[r->nprofiles++];
        memset(f, 0, sizeof *f);
        f->proc = proc;
        ls_flock_build(p, q->lock, &f->lock);
        f->acquisitions = q->acquisitions;
        f->contended = q->contended;
        f->owner_changes = q->owner_changes;
        f->wait_ns = q->wait_ns;
        f->wait_max_ns = q->wait_max_ns;
        f->hold_samples = q->hold_samples;
        f->hold_max_ns = q->hold_max_ns;
        f->long_holds = q->long_holds;
        f->hold_slack_ns = q->hold_slack_ns;
        /* The long holds were all timed; the sampled short ones stand for
         * the other acquisitions (a corrupt trace may ask for more than 64
         * bits: capped). */
        double shorts = q->acquisitions > q->long_holds
                            ? (double)(q->acquisitions - q->long_holds) : 0.0;
        double est = (double)q->long_hold_ns +
                     (q->hold_samples ? (double)q->hold_sampled_ns * shorts /
                                            (double)q->hold_samples
                                      : 0.0);
        f->hold_est_ns = est >= 1.8e19 ? UINT64_MAX : (uint64_t)est;
        f->nsites = q->nsites;
        f->sites = xcalloc(q->nsites + 1, sizeof *f->sites);
        for (uint32_t j = 0; j < q->nsites; j++) {
            ls_fstack_build(p, p->profiles[i].sites[j].stack, &f->sites[j].stack);
            f->sites[j].waits = p->profiles[i].sites[j].waits;
            f->sites[j].wait_ns = p->profiles[i].sites[j].wait_ns;
        }
        if (f->nsites > 1)
            qsort(f->sites, f->nsites, sizeof *f->sites, site_by_wait);
    }
    if (r->nprofiles > 1)
        qsort(r->profiles, r->nprofiles, sizeof *r->profiles, by_wait);
}
