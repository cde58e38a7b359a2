#define _GNU_SOURCE
#include "misuse.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char *ls_misuse_rule_id(uint32_t rule)
{
    switch (rule) {
    case LS_MISUSE_ERRORCHECK_RELOCK: return "errorcheck-relock";
    default: return "unknown";
    }
}

static char *explain(const struct ls_finding *f, const struct ls_misuse_rec *m)
{
    struct strbuf sb;
    sb_init(&sb);
    ls_thread_label(&sb, f->thread.tid);
    switch (m->rule) {
    case LS_MISUSE_ERRORCHECK_RELOCK:
        sb_printf(&sb, " locks %s again while it already holds it. The mutex is "
                       "error-checking, so pthread_mutex_lock returned EDEADLK instead of "
                       "hanging; code that does not check that result goes on believing it "
                       "took the lock a second time.",
                  f->nlocks ? f->locks[0].label : "a mutex");
        break;
    default:
        sb_printf(&sb, " misused a pthread call (rule %u).", m->rule);
    }
    return sb_detach(&sb);
}

size_t ls_check_misuse(struct ls_process *p, size_t proc, struct ls_report *r)
{
    size_t added = 0, first = r->nfindings;
    for (size_t i = 0; i < p->nmisuses; i++) {
        const struct ls_misuse_rec *m = &p->misuses[i];
        struct ls_finding *f = ls_report_add(r);
        f->kind = LS_FIND_MISUSE;
        f->severity = "warning";
        f->proc = proc;
        f->rule = ls_misuse_rule_id(m->rule);
        ls_fthread_build(p, m->tid, &f->thread);
        ls_fstack_build(p, m->stack, &f->stack);
        if (m->lock) {
            f->locks = xcalloc(1, sizeof *f->locks);
            f->nlocks = 1;
            ls_flock_build(p, m->lock, &f->locks[0]);
        }
        if (m->lock_stack) {
            ls_fstack_build(p, m->lock_stack, &f->stack2);
            f->stack2_what = "the thread took it here";
        }
        f->summary = ls_fstack_user_frame(&f->stack);
        f->reason = explain(f, m);
        ls_finding_set_id(f);
        /* The same rule at the same place (seen again after fork, say) is
         * one finding. */
        int dup = 0;
        for (size_t j = first; j + 1 < r->nfindings && !dup; j++)
            dup = !strcmp(r->findings[j].id, f->id);
        if (dup) {
            ls_report_pop(r);
            continue;
        }
        added++;
    }
    return added;
}
