/*
 * Unit tests for analyzer/reader.c: traces are built in memory with the
 * structs of include/lockscope/trace.h and fed to ls_trace_parse().
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockscope/trace.h"
#include "model.h"

/* ---- trace builder ------------------------------------------------------ */

#define MAX_RECS 64

struct tb {
    unsigned char *buf;
    size_t len, cap;
    size_t rec;               /* offset of the open record's header */
    /* Where each record's payload ends and where its padding ends: a file
     * cut anywhere in [done, padded] lost nothing. */
    size_t done[MAX_RECS], padded[MAX_RECS];
    size_t nrecs;
};

static void tb_add(struct tb *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 64;
        t->buf = realloc(t->buf, t->cap);
        cr_assert_not_null(t->buf);
    }
    if (n)
        memcpy(t->buf + t->len, p, n);
    t->len += n;
}

static void tb_str(struct tb *t, const char *s, int nul)
{
    tb_add(t, s, strlen(s) + (nul ? 1 : 0));
}

static void tb_header_v(struct tb *t, uint32_t version, uint32_t pid, uint32_t ppid,
                        uint64_t start_ns)
{
    struct ls_file_header h = {.version = version, .header_size = sizeof h, .pid = pid,
                               .ppid = ppid, .start_ns = start_ns};
    memcpy(h.magic, LS_TRACE_MAGIC, sizeof h.magic);
    tb_add(t, &h, sizeof h);
}

static void tb_header(struct tb *t)
{
    tb_header_v(t, LS_TRACE_VERSION, 4242, 4241, 0x1122334455667788ull);
}

/* Opens a record of the given type; its size is filled in by tb_end(). */
static size_t tb_begin(struct tb *t, uint16_t type)
{
    struct ls_rec_header rh = {.type = type};
    t->rec = t->len;
    tb_add(t, &rh, sizeof rh);
    return t->rec;
}

static void tb_end(struct tb *t)
{
    struct ls_rec_header rh;
    memcpy(&rh, t->buf + t->rec, sizeof rh);
    rh.size = (uint32_t)(t->len - t->rec - sizeof rh);
    memcpy(t->buf + t->rec, &rh, sizeof rh);
    cr_assert_lt(t->nrecs, MAX_RECS);
    t->done[t->nrecs] = t->len;
    static const unsigned char zero[8];
    tb_add(t, zero, (LS_TRACE_ALIGN - t->len % LS_TRACE_ALIGN) % LS_TRACE_ALIGN);
    t->padded[t->nrecs++] = t->len;
}

/* A whole record from a struct and an optional tail. */
static size_t tb_rec(struct tb *t, uint16_t type, const void *r, size_t n, const void *tail,
                     size_t tn)
{
    size_t off = tb_begin(t, type);
    tb_add(t, r, n);
    tb_add(t, tail, tn);
    tb_end(t);
    return off;
}

static void tb_free(struct tb *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

static const uint8_t BUILD_ID[4] = {0xde, 0xad, 0xbe, 0xef};
static const uint64_t IPS1[3] = {0x401000, 0x401100, 0x401234};
static const uint64_t IPS2[1] = {0x7f0000001000};
static const uint32_t HELD1[1] = {1};
static const uint32_t HELD2[3] = {5, 2, 9};
static const struct ls_rec_held DL_HELD1[1] = {{.lock = 1, .stack = 1}};
static const struct ls_rec_held DL_HELD2[2] = {{.lock = 2, .stack = 2}, {.lock = 5, .stack = 1}};

/* One record of every kind; parse_good_trace() checks every field. */
static void build_good(struct tb *t)
{
    tb_header(t);

    struct ls_rec_process pr = {.pid = 4242, .ppid = 4241, .argc = 3, .exe_len = 13,
                                .parent_tid = 7};
    tb_begin(t, LS_REC_PROCESS);
    tb_add(t, &pr, sizeof pr);
    tb_str(t, "/usr/bin/prog", 0);
    tb_str(t, "prog", 1);
    tb_str(t, "-x", 1);
    tb_str(t, "file.txt", 1);
    tb_end(t);

    struct ls_rec_module m = {.id = 1, .build_id_len = sizeof BUILD_ID, .bias = 0x555555554000,
                              .start = 0x555555554000, .end = 0x555555559000};
    tb_begin(t, LS_REC_MODULE);
    tb_add(t, &m, sizeof m);
    tb_add(t, BUILD_ID, sizeof BUILD_ID);
    tb_str(t, "/usr/bin/prog", 1);
    tb_end(t);

    struct ls_rec_stack s1 = {.id = 1, .depth = 3}, s2 = {.id = 2, .depth = 1};
    tb_rec(t, LS_REC_STACK, &s1, sizeof s1, IPS1, sizeof IPS1);
    tb_rec(t, LS_REC_STACK, &s2, sizeof s2, IPS2, sizeof IPS2);

    struct ls_rec_thread t1 = {.tid = 1, .os_tid = 4242, .name_len = 4};
    struct ls_rec_thread t2 = {.tid = 2, .os_tid = 4243, .parent = 1, .parent_epoch = 1,
                               .create_stack = 2};
    tb_rec(t, LS_REC_THREAD, &t1, sizeof t1, "main", 4);
    tb_rec(t, LS_REC_THREAD, &t2, sizeof t2, NULL, 0);

    struct ls_rec_lock l1 = {.id = 1, .kind = LS_LOCK_MUTEX, .addr = 0x555555558040,
                             .first_stack = 1};
    struct ls_rec_lock l2 = {.id = 2, .kind = LS_LOCK_RWLOCK, .addr = 0x7fffdeadbee0,
                             .init_stack = 2, .first_stack = 1};
    tb_rec(t, LS_REC_LOCK, &l1, sizeof l1, NULL, 0);
    tb_rec(t, LS_REC_LOCK, &l2, sizeof l2, NULL, 0);

    struct ls_rec_edge e1 = {.tid = 2, .epoch = 1, .from = 1, .to = 2, .from_stack = 1,
                             .to_stack = 2, .flags = LS_EDGE_TIMED, .nheld = 1};
    struct ls_rec_edge e2 = {.tid = 1, .epoch = 2, .from = 2, .to = 1, .from_stack = 2,
                             .to_stack = 1, .flags = LS_EDGE_FROM_APPROX, .nheld = 3};
    tb_rec(t, LS_REC_EDGE, &e1, sizeof e1, HELD1, sizeof HELD1);
    tb_rec(t, LS_REC_EDGE, &e2, sizeof e2, HELD2, sizeof HELD2);

    struct ls_rec_thread_end te = {.tid = 2, .epoch = 3, .exit_stack = 1};
    tb_rec(t, LS_REC_THREAD_END, &te, sizeof te, NULL, 0);
    struct ls_rec_join j = {.joiner = 1, .joiner_epoch = 3, .joined = 2, .joined_epoch = 3,
                            .stack = 2};
    tb_rec(t, LS_REC_JOIN, &j, sizeof j, NULL, 0);

    /* T2 waits for lock 2 held by main, main for lock 1 held by T2. */
    struct ls_rec_deadlock d = {.nthreads = 2, .flags = LS_DEADLOCK_ENDED, .exit_status = 134};
    struct ls_rec_deadlock_thread d1 = {.tid = 2, .wait_kind = LS_WAIT_LOCK, .wait_lock = 2,
                                        .wait_thread = 1, .wait_stack = 1, .nheld = 1};
    struct ls_rec_deadlock_thread d2 = {.tid = 1, .wait_kind = LS_WAIT_LOCK, .wait_lock = 1,
                                        .wait_thread = 2, .wait_stack = 2, .nheld = 2};
    tb_begin(t, LS_REC_DEADLOCK);
    tb_add(t, &d, sizeof d);
    tb_add(t, &d1, sizeof d1);
    tb_add(t, DL_HELD1, sizeof DL_HELD1);
    tb_add(t, &d2, sizeof d2);
    tb_add(t, DL_HELD2, sizeof DL_HELD2);
    tb_end(t);

    struct ls_rec_note n = {.code = LS_NOTE_DROPPED, .msg_len = 15};
    tb_rec(t, LS_REC_NOTE, &n, sizeof n, "lock table full", 15);

    struct ls_rec_end end = {.end_ns = 0x1122334499999999ull, .status = 3};
    tb_rec(t, LS_REC_END, &end, sizeof end, NULL, 0);
}

static struct ls_process *parse_ok(const struct tb *t, size_t len)
{
    struct ls_process *p = NULL;
    char err[256] = "";
    int rc = ls_trace_parse(t->buf, len, &p, err, sizeof err);
    cr_assert_eq(rc, 0, "parse failed: %s", err);
    cr_assert_not_null(p);
    return p;
}

/* Expects a parse error at offset `off` whose message contains `phrase`. */
static void parse_bad(const void *data, size_t len, size_t off, const char *phrase)
{
    struct ls_process *p = (struct ls_process *)1;
    char err[256] = "", want[32];
    int rc = ls_trace_parse(data, len, &p, err, sizeof err);
    cr_assert_eq(rc, -1, "expected an error containing '%s'", phrase);
    cr_assert_null(p);
    snprintf(want, sizeof want, "offset %zu: ", off);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "'%s' does not start with '%s'", err,
                 want);
    cr_assert_not_null(strstr(err, phrase), "'%s' does not contain '%s'", err, phrase);
}

/* ---- a good trace --------------------------------------------------------- */

Test(reader, good_trace_header_and_process)
{
    struct tb t = {0};
    build_good(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->pid, 4242);
    cr_assert_eq(p->ppid, 4241);
    cr_assert_eq(p->parent_tid, 7);
    cr_assert_eq(p->start_ns, 0x1122334455667788ull);
    cr_assert_str_eq(p->exe, "/usr/bin/prog");
    cr_assert_eq(p->argc, 3);
    cr_assert_str_eq(p->argv[0], "prog");
    cr_assert_str_eq(p->argv[1], "-x");
    cr_assert_str_eq(p->argv[2], "file.txt");
    cr_assert_null(p->argv[3], "argv must be NULL-terminated");
    cr_assert_eq(p->ended, 1);
    cr_assert_eq(p->end_ns, 0x1122334499999999ull);
    cr_assert_eq(p->exit_status, 3);
    cr_assert_eq(p->execed, 0);
    cr_assert_eq(p->cut, 0);
    cr_assert_null(p->trace_path);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, good_trace_modules_and_stacks)
{
    struct tb t = {0};
    build_good(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->nmodules, 1);
    const struct ls_module_rec *m = &p->modules[0];
    cr_assert_eq(m->id, 1);
    cr_assert_eq(m->bias, 0x555555554000ull);
    cr_assert_eq(m->start, 0x555555554000ull);
    cr_assert_eq(m->end, 0x555555559000ull);
    cr_assert_eq(m->build_id_len, 4);
    cr_assert_arr_eq(m->build_id, BUILD_ID, sizeof BUILD_ID);
    cr_assert_str_eq(m->path, "/usr/bin/prog");

    cr_assert_eq(p->nstacks, 2);
    cr_assert_eq(p->stacks[0].id, 1);
    cr_assert_eq(p->stacks[0].depth, 3);
    cr_assert_arr_eq(p->stacks[0].ips, IPS1, sizeof IPS1);
    cr_assert_eq(p->stacks[1].id, 2);
    cr_assert_eq(p->stacks[1].depth, 1);
    cr_assert_eq(p->stacks[1].ips[0], IPS2[0]);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, good_trace_threads_and_joins)
{
    struct tb t = {0};
    build_good(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->nthreads, 2);
    const struct ls_thread_info *t1 = &p->threads[0], *t2 = &p->threads[1];
    cr_assert_eq(t1->tid, 1);
    cr_assert_eq(t1->os_tid, 4242);
    cr_assert_eq(t1->parent, 0);
    cr_assert_eq(t1->parent_epoch, 0);
    cr_assert_eq(t1->create_stack, 0);
    cr_assert_str_eq(t1->name, "main");
    cr_assert_eq(t1->ended, 0);
    cr_assert_eq(t2->tid, 2);
    cr_assert_eq(t2->os_tid, 4243);
    cr_assert_eq(t2->parent, 1);
    cr_assert_eq(t2->parent_epoch, 1);
    cr_assert_eq(t2->create_stack, 2);
    cr_assert_null(t2->name, "an empty name is NULL");
    cr_assert_eq(t2->ended, 1);
    cr_assert_eq(t2->end_epoch, 3);
    cr_assert_eq(t2->exit_stack, 1);

    cr_assert_eq(p->njoins, 1);
    cr_assert_eq(p->joins[0].joiner, 1);
    cr_assert_eq(p->joins[0].joiner_epoch, 3);
    cr_assert_eq(p->joins[0].joined, 2);
    cr_assert_eq(p->joins[0].joined_epoch, 3);
    cr_assert_eq(p->joins[0].stack, 2);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, good_trace_locks_edges_notes)
{
    struct tb t = {0};
    build_good(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->nlocks, 2);
    cr_assert_eq(p->locks[0].id, 1);
    cr_assert_eq(p->locks[0].kind, LS_LOCK_MUTEX);
    cr_assert_eq(p->locks[0].addr, 0x555555558040ull);
    cr_assert_eq(p->locks[0].init_stack, 0);
    cr_assert_eq(p->locks[0].first_stack, 1);
    cr_assert_eq(p->locks[1].id, 2);
    cr_assert_eq(p->locks[1].kind, LS_LOCK_RWLOCK);
    cr_assert_eq(p->locks[1].addr, 0x7fffdeadbee0ull);
    cr_assert_eq(p->locks[1].init_stack, 2);
    cr_assert_eq(p->locks[1].first_stack, 1);

    cr_assert_eq(p->nedges, 2);
    const struct ls_edge *e1 = &p->edges[0], *e2 = &p->edges[1];
    cr_assert_eq(e1->tid, 2);
    cr_assert_eq(e1->epoch, 1);
    cr_assert_eq(e1->from, 1);
    cr_assert_eq(e1->to, 2);
    cr_assert_eq(e1->from_stack, 1);
    cr_assert_eq(e1->to_stack, 2);
    cr_assert_eq(e1->flags, LS_EDGE_TIMED);
    cr_assert_eq(e1->nheld, 1);
    cr_assert_eq(e1->held[0], 1);
    cr_assert_eq(e2->tid, 1);
    cr_assert_eq(e2->epoch, 2);
    cr_assert_eq(e2->from, 2);
    cr_assert_eq(e2->to, 1);
    cr_assert_eq(e2->from_stack, 2);
    cr_assert_eq(e2->to_stack, 1);
    cr_assert_eq(e2->flags, LS_EDGE_FROM_APPROX);
    cr_assert_eq(e2->nheld, 3);
    cr_assert_arr_eq(e2->held, HELD2, sizeof HELD2);

    cr_assert_eq(p->nnotes, 1);
    cr_assert_eq(p->notes[0].code, LS_NOTE_DROPPED);
    cr_assert_str_eq(p->notes[0].msg, "lock table full");
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, good_trace_deadlock)
{
    struct tb t = {0};
    build_good(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->ndeadlocks, 1);
    const struct ls_deadlock *d = &p->deadlocks[0];
    cr_assert_eq(d->flags, LS_DEADLOCK_ENDED);
    cr_assert_eq(d->exit_status, 134);
    cr_assert_eq(d->nthreads, 2);
    const struct ls_deadlock_thread *a = &d->threads[0], *b = &d->threads[1];
    cr_assert_eq(a->tid, 2);
    cr_assert_eq(a->wait_kind, LS_WAIT_LOCK);
    cr_assert_eq(a->wait_lock, 2);
    cr_assert_eq(a->wait_thread, 1);
    cr_assert_eq(a->wait_stack, 1);
    cr_assert_eq(a->nheld, 1);
    cr_assert_eq(a->held[0].lock, 1);
    cr_assert_eq(a->held[0].stack, 1);
    cr_assert_eq(b->tid, 1);
    cr_assert_eq(b->wait_lock, 1);
    cr_assert_eq(b->wait_thread, 2);
    cr_assert_eq(b->wait_stack, 2);
    cr_assert_eq(b->nheld, 2);
    cr_assert_arr_eq(b->held, DL_HELD2, sizeof DL_HELD2);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, lookups)
{
    struct tb t = {0};
    build_good(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(ls_find_stack(p, 1), &p->stacks[0]);
    cr_assert_eq(ls_find_stack(p, 2), &p->stacks[1]);
    cr_assert_null(ls_find_stack(p, 3));
    cr_assert_null(ls_find_stack(p, 0));
    cr_assert_eq(ls_find_thread(p, 1), &p->threads[0]);
    cr_assert_eq(ls_find_thread(p, 2), &p->threads[1]);
    cr_assert_null(ls_find_thread(p, 3));
    cr_assert_null(ls_find_thread(p, 0));
    cr_assert_eq(ls_find_lock(p, 1), &p->locks[0]);
    cr_assert_eq(ls_find_lock(p, 2), &p->locks[1]);
    cr_assert_null(ls_find_lock(p, 3));
    cr_assert_null(ls_find_lock(p, 0));
    ls_process_free(p);
    tb_free(&t);
}

/* Ids may be defined after they are used, and a record's text need not
 * be NUL-terminated: lengths rule. */
Test(reader, forward_references_and_unterminated_text)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l = {.id = 9, .kind = LS_LOCK_SPIN, .addr = 0x1000, .first_stack = 5};
    tb_rec(&t, LS_REC_LOCK, &l, sizeof l, NULL, 0);
    struct ls_rec_stack s = {.id = 5, .depth = 1};
    tb_rec(&t, LS_REC_STACK, &s, sizeof s, IPS2, sizeof IPS2);
    struct ls_rec_thread th = {.tid = 3, .name_len = 3};
    tb_rec(&t, LS_REC_THREAD, &th, sizeof th, "abcdef", 6);
    struct ls_rec_note n = {.code = LS_NOTE_INFO, .msg_len = 2};
    tb_rec(&t, LS_REC_NOTE, &n, sizeof n, "hi there", 8);
    struct ls_process *p = parse_ok(&t, t.len);
    const struct ls_lock_info *li = ls_find_lock(p, 9);
    cr_assert_not_null(li);
    cr_assert_eq(ls_find_stack(p, li->first_stack), &p->stacks[0]);
    cr_assert_str_eq(p->threads[0].name, "abc");
    cr_assert_str_eq(p->notes[0].msg, "hi");
    cr_assert_eq(p->ended, 0);
    cr_assert_eq(p->exit_status, -1, "no END record: status unknown");
    cr_assert_eq(p->cut, 0);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, end_before_exec)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_end end = {.end_ns = 5, .status = -1, .flags = LS_END_EXEC};
    tb_rec(&t, LS_REC_END, &end, sizeof end, NULL, 0);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->ended, 1);
    cr_assert_eq(p->execed, 1);
    cr_assert_eq(p->exit_status, -1);
    cr_assert_eq(p->end_ns, 5);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, header_only)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->pid, 4242);
    cr_assert_eq(p->nthreads + p->nlocks + p->nedges + p->nstacks, 0);
    cr_assert_eq(p->cut, 0);
    cr_assert_eq(p->ended, 0);
    ls_process_free(p);
    tb_free(&t);
}

/* ---- cut traces ------------------------------------------------------------ */

Test(reader, cut_in_last_record)
{
    struct tb t = {0};
    build_good(&t);
    /* Inside the END record's payload. */
    struct ls_process *p = parse_ok(&t, t.len - 4);
    cr_assert_eq(p->cut, 1);
    cr_assert_eq(p->ended, 0);
    cr_assert_eq(p->exit_status, -1);
    cr_assert_eq(p->nedges, 2);
    cr_assert_eq(p->nnotes, 1);
    cr_assert_eq(p->njoins, 1);
    cr_assert_eq(p->ndeadlocks, 1);
    cr_assert_str_eq(p->argv[2], "file.txt");
    ls_process_free(p);

    /* Inside the END record's header. */
    p = parse_ok(&t, t.len - sizeof(struct ls_rec_end) - 3);
    cr_assert_eq(p->cut, 1);
    cr_assert_eq(p->ended, 0);
    cr_assert_eq(p->nnotes, 1);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, cut_in_edge_record_keeps_earlier)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l = {.id = 1, .kind = LS_LOCK_MUTEX};
    tb_rec(&t, LS_REC_LOCK, &l, sizeof l, NULL, 0);
    struct ls_rec_edge e = {.tid = 1, .from = 1, .to = 2, .nheld = 3};
    size_t off = tb_rec(&t, LS_REC_EDGE, &e, sizeof e, HELD2, sizeof HELD2);
    /* Half the held ids are missing: the edge is dropped, not misread. */
    struct ls_process *p = parse_ok(&t, off + sizeof(struct ls_rec_header) + sizeof e + 4);
    cr_assert_eq(p->cut, 1);
    cr_assert_eq(p->nlocks, 1);
    cr_assert_eq(p->nedges, 0);
    ls_process_free(p);
    tb_free(&t);
}

/* ---- errors ---------------------------------------------------------------- */

Test(reader, empty)
{
    struct ls_process *p = (struct ls_process *)1;
    char err[128] = "";
    cr_assert_eq(ls_trace_parse("", 0, &p, err, sizeof err), -1);
    cr_assert_null(p);
    cr_assert_str_eq(err, "offset 0: the file is empty");
}

Test(reader, shorter_than_header)
{
    struct tb t = {0};
    tb_header(&t);
    parse_bad(t.buf, 10, 0, "10 bytes is too short for a trace header");
    parse_bad(t.buf, sizeof(struct ls_file_header) - 1, 0, "too short");
    tb_free(&t);
}

Test(reader, bad_magic)
{
    struct tb t = {0};
    tb_header(&t);
    t.buf[0] = 'X';
    parse_bad(t.buf, t.len, 0, "not a lockscope trace");
    /* The NUL is part of the magic. */
    memcpy(t.buf, "LSTRACEX", 8);
    parse_bad(t.buf, t.len, 0, "not a lockscope trace");
    tb_free(&t);
}

Test(reader, unsupported_versions)
{
    char supported[64];
    snprintf(supported, sizeof supported, "reads version %u only", LS_TRACE_VERSION);
    /* 1: before accesses were decoded (a window that fired is no evidence). */
    uint32_t bad[] = {0, 1, LS_TRACE_VERSION + 1, 0xffffffffu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tb t = {0};
        tb_header_v(&t, bad[i], 1, 0, 0);
        char which[48];
        snprintf(which, sizeof which, "trace format version %u is not supported", bad[i]);
        parse_bad(t.buf, t.len, 8, which);
        parse_bad(t.buf, t.len, 8, supported);
        tb_free(&t);
    }
}

Test(reader, bad_header_size)
{
    uint32_t bad[] = {0, 16, 31, 36, 40 /* > len */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tb t = {0};
        tb_header(&t);
        memcpy(t.buf + offsetof(struct ls_file_header, header_size), &bad[i], 4);
        parse_bad(t.buf, t.len, 12, "bad header size");
        tb_free(&t);
    }
}

/* A longer header (a future minor version) is skipped over. */
Test(reader, longer_header_is_skipped)
{
    struct tb t = {0};
    tb_header(&t);
    uint32_t hs = 40;
    memcpy(t.buf + offsetof(struct ls_file_header, header_size), &hs, 4);
    static const unsigned char junk[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    tb_add(&t, junk, sizeof junk);
    struct ls_rec_lock l = {.id = 4, .kind = LS_LOCK_MUTEX};
    tb_rec(&t, LS_REC_LOCK, &l, sizeof l, NULL, 0);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->nlocks, 1);
    cr_assert_eq(p->locks[0].id, 4);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, record_too_large)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l = {.id = 1};
    tb_rec(&t, LS_REC_LOCK, &l, sizeof l, NULL, 0);
    struct ls_rec_header rh = {.type = LS_REC_EDGE, .size = LS_TRACE_MAX_RECORD + 1};
    size_t off = t.len;
    tb_add(&t, &rh, sizeof rh);
    parse_bad(t.buf, t.len, off, "edge record claims 1048577 bytes");
    parse_bad(t.buf, t.len, off, "limit");
    tb_free(&t);
}

Test(reader, record_type_zero)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l = {.id = 1};
    tb_rec(&t, LS_REC_LOCK, &l, sizeof l, NULL, 0);
    size_t off = tb_rec(&t, 0, &l, sizeof l, NULL, 0);
    parse_bad(t.buf, t.len, off, "invalid record type 0");
    tb_free(&t);
}

Test(reader, record_shorter_than_its_struct)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_thread th = {.tid = 1};
    size_t off = tb_rec(&t, LS_REC_THREAD, &th, sizeof th - 4, NULL, 0);
    parse_bad(t.buf, t.len, off, "thread record of 20 bytes is shorter than 24");
    tb_free(&t);
}

Test(reader, stack_depth_overruns)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_stack s = {.id = 1, .depth = 4};
    size_t off = tb_rec(&t, LS_REC_STACK, &s, sizeof s, IPS1, sizeof IPS1);
    parse_bad(t.buf, t.len, off, "stack record: 4 frames do not fit in 32 bytes");
    tb_free(&t);
}

Test(reader, stack_too_deep)
{
    uint64_t ips[LS_TRACE_MAX_FRAMES + 1] = {0};
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_stack s = {.id = 1, .depth = LS_TRACE_MAX_FRAMES + 1};
    size_t off = tb_rec(&t, LS_REC_STACK, &s, sizeof s, ips, sizeof ips);
    parse_bad(t.buf, t.len, off, "65 frames do not fit");
    tb_free(&t);

    /* Exactly the maximum is fine. */
    t = (struct tb){0};
    tb_header(&t);
    s.depth = LS_TRACE_MAX_FRAMES;
    ips[LS_TRACE_MAX_FRAMES - 1] = 0xabc;
    tb_rec(&t, LS_REC_STACK, &s, sizeof s, ips, LS_TRACE_MAX_FRAMES * sizeof ips[0]);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->stacks[0].depth, LS_TRACE_MAX_FRAMES);
    cr_assert_eq(p->stacks[0].ips[LS_TRACE_MAX_FRAMES - 1], 0xabc);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, stack_id_zero)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_stack s = {.id = 0, .depth = 1};
    size_t off = tb_rec(&t, LS_REC_STACK, &s, sizeof s, IPS2, sizeof IPS2);
    parse_bad(t.buf, t.len, off, "stack record with id 0");
    tb_free(&t);
}

Test(reader, edge_nheld_overruns)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l = {.id = 1};
    tb_rec(&t, LS_REC_LOCK, &l, sizeof l, NULL, 0);
    struct ls_rec_edge e = {.tid = 1, .from = 1, .to = 2, .nheld = 4};
    size_t off = tb_rec(&t, LS_REC_EDGE, &e, sizeof e, HELD2, sizeof HELD2);
    parse_bad(t.buf, t.len, off, "edge record: 4 held locks do not fit in 44 bytes");
    tb_free(&t);
}

Test(reader, edge_names_lock_zero)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_edge e = {.tid = 1, .from = 0, .to = 2, .nheld = 1};
    size_t off = tb_rec(&t, LS_REC_EDGE, &e, sizeof e, HELD1, sizeof HELD1);
    parse_bad(t.buf, t.len, off, "edge record names lock 0");
    tb_free(&t);
}

Test(reader, thread_name_overruns)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_thread th = {.tid = 1, .name_len = 10};
    size_t off = tb_rec(&t, LS_REC_THREAD, &th, sizeof th, "main", 4);
    parse_bad(t.buf, t.len, off, "thread record: name of 10 bytes overruns the record");
    tb_free(&t);
}

Test(reader, thread_id_zero)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_thread th = {.tid = 0};
    size_t off = tb_rec(&t, LS_REC_THREAD, &th, sizeof th, NULL, 0);
    parse_bad(t.buf, t.len, off, "thread record with id 0");
    tb_free(&t);
}

Test(reader, lock_id_zero)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l = {.id = 0};
    size_t off = tb_rec(&t, LS_REC_LOCK, &l, sizeof l, NULL, 0);
    parse_bad(t.buf, t.len, off, "lock record with id 0");
    tb_free(&t);
}

Test(reader, deadlock_without_threads)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_deadlock d = {.nthreads = 0, .exit_status = -1};
    size_t off = tb_rec(&t, LS_REC_DEADLOCK, &d, sizeof d, NULL, 0);
    parse_bad(t.buf, t.len, off, "deadlock record with 0 threads");
    tb_free(&t);
}

Test(reader, deadlock_held_overruns)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_deadlock d = {.nthreads = 1, .exit_status = -1};
    struct ls_rec_deadlock_thread dt = {.tid = 2, .wait_kind = LS_WAIT_LOCK, .nheld = 3};
    size_t off = tb_begin(&t, LS_REC_DEADLOCK);
    tb_add(&t, &d, sizeof d);
    tb_add(&t, &dt, sizeof dt);
    tb_add(&t, DL_HELD2, sizeof DL_HELD2);
    tb_end(&t);
    parse_bad(t.buf, t.len, off, "deadlock record: 3 held locks overrun the record");
    tb_free(&t);
}

/* The shim stops adding threads when its buffer fills: keep those there. */
Test(reader, deadlock_with_fewer_threads_than_announced)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_deadlock d = {.nthreads = 5, .exit_status = -1};
    struct ls_rec_deadlock_thread dt = {.tid = 3, .wait_kind = LS_WAIT_JOIN, .wait_thread = 4,
                                        .nheld = 1};
    tb_begin(&t, LS_REC_DEADLOCK);
    tb_add(&t, &d, sizeof d);
    tb_add(&t, &dt, sizeof dt);
    tb_add(&t, DL_HELD1, sizeof DL_HELD1);
    tb_end(&t);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->ndeadlocks, 1);
    cr_assert_eq(p->deadlocks[0].nthreads, 1);
    cr_assert_eq(p->deadlocks[0].threads[0].tid, 3);
    cr_assert_eq(p->deadlocks[0].threads[0].wait_kind, LS_WAIT_JOIN);
    cr_assert_eq(p->deadlocks[0].threads[0].wait_thread, 4);
    cr_assert_eq(p->deadlocks[0].threads[0].held[0].lock, 1);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, process_exe_overruns)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_process pr = {.pid = 1, .argc = 0, .exe_len = 100};
    size_t off = tb_rec(&t, LS_REC_PROCESS, &pr, sizeof pr, "/bin/x", 6);
    parse_bad(t.buf, t.len, off, "executable path of 100 bytes overruns");
    tb_free(&t);
}

Test(reader, process_argc_implausible)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_process pr = {.pid = 1, .argc = 1000000, .exe_len = 0};
    size_t off = tb_rec(&t, LS_REC_PROCESS, &pr, sizeof pr, NULL, 0);
    parse_bad(t.buf, t.len, off, "1000000 arguments is not plausible");
    tb_free(&t);
}

/* argc says more than the record holds: keep what is there. */
Test(reader, process_fewer_args_than_argc)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_process pr = {.pid = 1, .argc = 5, .exe_len = 2};
    tb_rec(&t, LS_REC_PROCESS, &pr, sizeof pr, "/xa\0bb", 6);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_str_eq(p->exe, "/x");
    cr_assert_eq(p->argc, 2);
    cr_assert_str_eq(p->argv[0], "a");
    cr_assert_str_eq(p->argv[1], "bb");
    cr_assert_null(p->argv[2]);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, module_build_id_overruns)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_module m = {.id = 1, .build_id_len = 20};
    size_t off = tb_rec(&t, LS_REC_MODULE, &m, sizeof m, BUILD_ID, sizeof BUILD_ID);
    parse_bad(t.buf, t.len, off, "module record: build-id of 20 bytes overruns");
    tb_free(&t);
}

Test(reader, note_text_overruns)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_note n = {.code = LS_NOTE_INFO, .msg_len = 9};
    size_t off = tb_rec(&t, LS_REC_NOTE, &n, sizeof n, "abc", 3);
    parse_bad(t.buf, t.len, off, "note record: text of 9 bytes overruns");
    tb_free(&t);
}

Test(reader, unknown_record_type_is_skipped)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l1 = {.id = 1, .kind = LS_LOCK_MUTEX};
    tb_rec(&t, LS_REC_LOCK, &l1, sizeof l1, NULL, 0);
    /* 13 bytes: exercises the padding of a record the reader cannot read. */
    tb_rec(&t, 77, "thirteen byte", 13, NULL, 0);
    tb_rec(&t, 0xffff, NULL, 0, NULL, 0);
    struct ls_rec_lock l2 = {.id = 2, .kind = LS_LOCK_SPIN, .addr = 0x42};
    tb_rec(&t, LS_REC_LOCK, &l2, sizeof l2, NULL, 0);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->nlocks, 2);
    cr_assert_eq(p->locks[1].id, 2);
    cr_assert_eq(p->locks[1].kind, LS_LOCK_SPIN);
    cr_assert_eq(p->locks[1].addr, 0x42);
    cr_assert_eq(p->cut, 0);
    ls_process_free(p);
    tb_free(&t);
}

/* A small err buffer truncates the message, never overflows it. */
Test(reader, small_error_buffer)
{
    struct ls_process *p;
    char err[12];
    memset(err, 'x', sizeof err);
    cr_assert_eq(ls_trace_parse("", 0, &p, err, 8), -1);
    cr_assert_eq(err[8], 'x');
    cr_assert_eq(strnlen(err, 8), 7);
    cr_assert_eq(ls_trace_parse("", 0, &p, NULL, 0), -1);
}

/* ---- ls_trace_read --------------------------------------------------------- */

/* Captures stderr between begin and end (the reader reports there). */
struct capture {
    int saved;
    FILE *tmp;
};

static struct capture capture_begin(void)
{
    struct capture c;
    fflush(stderr);
    c.tmp = tmpfile();
    cr_assert_not_null(c.tmp);
    c.saved = dup(STDERR_FILENO);
    dup2(fileno(c.tmp), STDERR_FILENO);
    return c;
}

static char *capture_end(struct capture *c)
{
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    long len = ftell(c->tmp);
    char *buf = calloc(1, len > 0 ? (size_t)len + 1 : 1);
    rewind(c->tmp);
    size_t got = len > 0 ? fread(buf, 1, (size_t)len, c->tmp) : 0;
    buf[got] = 0;
    fclose(c->tmp);
    return buf;
}

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
}

Test(reader, read_nonexistent)
{
    struct ls_process *p = (struct ls_process *)1;
    struct capture c = capture_begin();
    int rc = ls_trace_read("/nonexistent/lockscope.trace", &p, NULL);
    char *err = capture_end(&c);
    cr_assert_eq(rc, -1);
    cr_assert_null(p);
    cr_assert_not_null(strstr(err, "cannot open trace '/nonexistent/lockscope.trace'"),
                       "stderr was: %s", err);
    free(err);
}

Test(reader, read_directory)
{
    struct ls_process *p = (struct ls_process *)1;
    struct capture c = capture_begin();
    int rc = ls_trace_read("/tmp", &p, NULL);
    char *err = capture_end(&c);
    cr_assert_eq(rc, -1);
    cr_assert_null(p);
    cr_assert_not_null(strstr(err, "'/tmp'"), "stderr was: %s", err);
    free(err);
}

Test(reader, read_file_good_cut_and_bad)
{
    char dir[] = "/tmp/ls-reader-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.trace", dir);
    struct tb t = {0};
    build_good(&t);

    write_file(path, t.buf, t.len);
    struct ls_process *p;
    struct capture c = capture_begin();
    int rc = ls_trace_read(path, &p, NULL);
    char *err = capture_end(&c);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(err, "", "a good trace is read silently");
    free(err);
    cr_assert_str_eq(p->trace_path, path);
    cr_assert_eq(p->nedges, 2);
    cr_assert_eq(p->ended, 1);
    ls_process_free(p);

    write_file(path, t.buf, t.len - 4);
    c = capture_begin();
    rc = ls_trace_read(path, &p, NULL);
    err = capture_end(&c);
    cr_assert_eq(rc, 0);
    cr_assert_eq(p->cut, 1);
    cr_assert_not_null(strstr(err, "lockscope: warning: trace '"), "stderr was: %s", err);
    cr_assert_not_null(strstr(err, "ends inside a record"), "stderr was: %s", err);
    free(err);
    ls_process_free(p);

    write_file(path, "hello, world, this is not a trace", 33);
    c = capture_begin();
    rc = ls_trace_read(path, &p, NULL);
    err = capture_end(&c);
    cr_assert_eq(rc, -1);
    cr_assert_null(p);
    cr_assert_not_null(strstr(err, "offset 0: not a lockscope trace"), "stderr was: %s", err);
    free(err);

    unlink(path);
    rmdir(dir);
    tb_free(&t);
}

/* ---- robustness ------------------------------------------------------------ */

static int record_complete_at(const struct tb *t, size_t n)
{
    if (n == sizeof(struct ls_file_header))
        return 1;
    for (size_t i = 0; i < t->nrecs; i++)
        if (n >= t->done[i] && n <= t->padded[i])
            return 1;
    return 0;
}

/* Every prefix of a good trace: an error before the header is complete,
 * then success, cut exactly when the prefix ends inside a record. */
Test(reader, every_prefix)
{
    struct tb t = {0};
    build_good(&t);
    size_t last_edges = 0;
    for (size_t n = 0; n <= t.len; n++) {
        struct ls_process *p = NULL;
        char err[256] = "";
        int rc = ls_trace_parse(t.buf, n, &p, err, sizeof err);
        if (n < sizeof(struct ls_file_header)) {
            cr_assert_eq(rc, -1, "prefix %zu", n);
            cr_assert_null(p);
            continue;
        }
        cr_assert_eq(rc, 0, "prefix %zu: %s", n, err);
        cr_assert_eq(p->cut, !record_complete_at(&t, n), "prefix %zu", n);
        cr_assert_eq(p->ended, n >= t.done[t.nrecs - 1], "prefix %zu", n);
        cr_assert_geq(p->nedges, last_edges, "a longer prefix lost an edge");
        last_edges = p->nedges;
        ls_process_free(p);
    }
    cr_assert_eq(last_edges, 2);
    tb_free(&t);
}

Test(reader, every_byte_flipped)
{
    struct tb t = {0};
    build_good(&t);
    unsigned char *copy = malloc(t.len);
    for (size_t i = 0; i < t.len; i++) {
        memcpy(copy, t.buf, t.len);
        copy[i] ^= 0xff;
        struct ls_process *p = NULL;
        char err[256] = "";
        int rc = ls_trace_parse(copy, t.len, &p, err, sizeof err);
        cr_assert(rc == 0 || rc == -1, "byte %zu: rc %d", i, rc);
        if (rc == 0) {
            cr_assert_not_null(p);
            ls_process_free(p);
        } else {
            cr_assert_null(p);
            cr_assert_eq(strncmp(err, "offset ", 7), 0, "byte %zu: '%s'", i, err);
        }
    }
    free(copy);
    tb_free(&t);
}

/* Version 2: a decoded access (its exact bytes, read-modify-write, the
 * window that caught it) and the watch counts; a later WATCH updates. */
Test(reader, access_and_watch_records)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_watch w = {.status = LS_WATCH_ON, .candidates = 3, .slots = 4,
                             .classify = 1};
    tb_rec(&t, LS_REC_WATCH, &w, sizeof w, NULL, 0);
    struct ls_rec_access a = {.tid = 2, .epoch = 5, .clock_version = 3,
                              .flags = LS_ACCESS_READ | LS_ACCESS_WRITE,
                              .addr = 0x404048, .size = 4, .stack = 1,
                              .watch_addr = 0x404048, .watch_len = 8, .nheld = 3};
    tb_rec(&t, LS_REC_ACCESS, &a, sizeof a, HELD2, sizeof HELD2);
    struct ls_rec_access b = {.tid = 3, .flags = LS_ACCESS_READ | LS_ACCESS_INEXACT,
                              .addr = 0x404040, .size = 8, .watch_addr = 0x404040,
                              .watch_len = 8};
    tb_rec(&t, LS_REC_ACCESS, &b, sizeof b, NULL, 0);
    w.traps = 10;
    w.exact = 6;
    w.inexact = 1;
    w.no_access = 1;
    w.undecoded = 1;
    w.limited = 1;
    w.atomic = 2;
    tb_rec(&t, LS_REC_WATCH, &w, sizeof w, NULL, 0);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->naccesses, 2);
    const struct ls_access_rec *x = &p->accesses[0];
    cr_assert_eq(x->tid, 2);
    cr_assert_eq(x->flags, LS_ACCESS_READ | LS_ACCESS_WRITE);
    cr_assert_eq(x->addr, 0x404048u);
    cr_assert_eq(x->size, 4u);
    cr_assert_eq(x->watch_addr, 0x404048u);
    cr_assert_eq(x->watch_len, 8u);
    cr_assert_eq(x->nheld, 3);
    cr_assert_eq(x->held[2], 9);
    cr_assert_eq(p->accesses[1].flags, LS_ACCESS_READ | LS_ACCESS_INEXACT);
    cr_assert_eq(p->watch_slots, 4);
    cr_assert_eq(p->wcount.traps, 10u);
    cr_assert_eq(p->wcount.exact, 6u);
    cr_assert_eq(p->wcount.inexact, 1u);
    cr_assert_eq(p->wcount.no_access, 1u);
    cr_assert_eq(p->wcount.undecoded, 1u);
    cr_assert_eq(p->wcount.atomic, 2u);
    cr_assert_eq(p->wcount.limited, 1u);
    ls_process_free(p);
    /* A version-1 access record (40 bytes) is too short for version 3. */
    struct tb s = {0};
    tb_header(&s);
    size_t off = tb_rec(&s, LS_REC_ACCESS, &a, 40, NULL, 0);
    parse_bad(s.buf, s.len, off, "access record of 40 bytes is shorter than 56");
    tb_free(&s);
    tb_free(&t);
}

/* Version 3: writer-preferring rwlocks a writer queued on, and a stall
 * whose last entry is an exited thread holding an orphaned lock. */
Test(reader, writer_queue_and_orphan_stall)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_lock l1 = {.id = 1, .kind = LS_LOCK_RWLOCK};
    tb_rec(&t, LS_REC_LOCK, &l1, sizeof l1, NULL, 0);
    struct ls_rec_writer_queue wq = {.lock = 1, .tid = 3};
    tb_rec(&t, LS_REC_WRITER_QUEUE, &wq, sizeof wq, NULL, 0);
    struct ls_rec_deadlock d = {.nthreads = 2, .flags = LS_DEADLOCK_STALL | LS_DEADLOCK_ORPHAN,
                                .exit_status = 86};
    struct ls_rec_deadlock_thread w = {.tid = 1, .wait_kind = LS_WAIT_LOCK, .wait_lock = 1,
                                       .wait_thread = 2, .wait_stack = 1};
    struct ls_rec_deadlock_thread gone = {.tid = 2, .wait_kind = LS_WAIT_EXITED, .nheld = 1};
    tb_begin(&t, LS_REC_DEADLOCK);
    tb_add(&t, &d, sizeof d);
    tb_add(&t, &w, sizeof w);
    tb_add(&t, &gone, sizeof gone);
    tb_add(&t, DL_HELD1, sizeof DL_HELD1);
    tb_end(&t);
    size_t off = tb_rec(&t, LS_REC_WRITER_QUEUE, &wq, sizeof wq - 4, NULL, 0);
    struct ls_process *p = parse_ok(&t, off);
    cr_assert_eq(p->nwriter_queued, 1);
    cr_assert_eq(p->writer_queued[0], 1);
    cr_assert_eq(p->ndeadlocks, 1);
    cr_assert_eq(p->deadlocks[0].flags, LS_DEADLOCK_STALL | LS_DEADLOCK_ORPHAN);
    cr_assert_eq(p->deadlocks[0].nthreads, 2);
    cr_assert_eq(p->deadlocks[0].threads[1].wait_kind, LS_WAIT_EXITED);
    cr_assert_eq(p->deadlocks[0].threads[1].nheld, 1);
    cr_assert_eq(p->deadlocks[0].threads[1].held[0].lock, 1);
    ls_process_free(p);
    parse_bad(t.buf, t.len, off, "writer-queue record of 4 bytes is shorter than 8");
    tb_free(&t);
}

/* ---- lock-order edges in batches (LS_REC_EDGES, LS_REC_EDGE_MORE) ------- */

static size_t tb_edges(struct tb *t, uint32_t tid, uint16_t flags, const uint32_t *other,
                       uint16_t nother, const uint32_t (*pairs)[2], uint16_t n, uint16_t width)
{
    struct ls_rec_edges r = {.tid = tid, .epoch = 3, .from_stack = 7, .to_stack = 8,
                             .flags = flags, .nother = nother, .n = n, .pair_bytes = width};
    size_t off = tb_begin(t, LS_REC_EDGES);
    tb_add(t, &r, sizeof r);
    tb_add(t, other, nother * sizeof *other);
    for (uint16_t i = 0; i < n; i++) {
        if (width == 4) {
            struct ls_rec_edge_pair16 e = {(uint16_t)pairs[i][0], (uint16_t)pairs[i][1]};
            tb_add(t, &e, sizeof e);
        } else {
            struct ls_rec_edge_pair e = {pairs[i][0], pairs[i][1]};
            tb_add(t, &e, sizeof e);
        }
    }
    tb_end(t);
    return off;
}

Test(reader, edges_batches)
{
    struct tb t = {0};
    tb_header(&t);
    static const uint32_t none[1] = {0}, gates[2] = {11, 12};
    static const uint32_t p16[3][2] = {{1, 2}, {3, 4}, {65535, 5}};
    static const uint32_t p32[2][2] = {{70000, 2}, {1, 80000}};
    tb_edges(&t, 2, LS_EDGE_TIMED, none, 0, p16, 3, 4);
    tb_edges(&t, 3, 0, gates, 2, p32, 2, 8);
    struct ls_rec_edge_more m = {.from = 1, .to = 2, .tid = 4, .count = 9};
    tb_rec(&t, LS_REC_EDGE_MORE, &m, sizeof m, NULL, 0);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->nedges, 5);
    const struct ls_edge *e = p->edges;
    cr_assert_eq(e[0].tid, 2);
    cr_assert_eq(e[0].epoch, 3);
    cr_assert_eq(e[0].from_stack, 7);
    cr_assert_eq(e[0].to_stack, 8);
    cr_assert_eq(e[0].flags, LS_EDGE_TIMED);
    cr_assert_eq(e[2].from, 65535);
    cr_assert_eq(e[2].to, 5);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(e[i].nheld, 1);
        cr_assert_eq(e[i].held[0], e[i].from); /* held: its own from */
    }
    cr_assert_eq(e[3].from, 70000);
    cr_assert_eq(e[4].to, 80000);
    for (int i = 3; i < 5; i++) {
        cr_assert_eq(e[i].tid, 3);
        cr_assert_eq(e[i].nheld, 3);
        cr_assert_eq(e[i].held[0], 11);
        cr_assert_eq(e[i].held[1], 12);
        cr_assert_eq(e[i].held[2], e[i].from);
    }
    cr_assert_eq(p->nedge_more, 1);
    cr_assert_eq(p->edge_more[0].count, 9);
    ls_process_free(p);
    tb_free(&t);
}

Test(reader, edges_batches_bad)
{
    static const uint32_t none[1] = {0}, zero[1][2] = {{0, 4}}, one[1][2] = {{1, 4}};
    struct tb t = {0};
    tb_header(&t);
    size_t off = tb_edges(&t, 2, 0, none, 0, one, 1, 6);
    parse_bad(t.buf, t.len, off, "pairs of 6 bytes");
    tb_free(&t);
    tb_header(&t);
    off = tb_edges(&t, 2, 0, none, 0, zero, 1, 8);
    parse_bad(t.buf, t.len, off, "edges record names lock 0");
    tb_free(&t);
    tb_header(&t);
    off = tb_edges(&t, 2, 0, none, 0, one, 1, 8);
    struct ls_rec_edges r;
    memcpy(&r, t.buf + off + sizeof(struct ls_rec_header), sizeof r);
    r.n = 9; /* more pairs than the record holds */
    memcpy(t.buf + off + sizeof(struct ls_rec_header), &r, sizeof r);
    parse_bad(t.buf, t.len, off, "do not fit");
    tb_free(&t);
}

/* Objects watched besides the globals: each access is tied to the object
 * it was made to (the latest access of its thread with that address), an
 * object's end and the global seen pointing to it are kept. */
Test(reader, object_records)
{
    struct tb t = {0};
    tb_header(&t);
    struct ls_rec_object o = {.id = 1, .kind = LS_OBJ_HEAP, .via = LS_OBJ_VIA_SAMPLED,
                              .addr = 0x5000, .size = 16, .tid = 1, .alloc_stack = 0,
                              .alloc_size = 16};
    tb_rec(&t, LS_REC_OBJECT, &o, sizeof o, NULL, 0);
    struct ls_rec_object_global g = {.id = 1, .global = 0x404040};
    tb_rec(&t, LS_REC_OBJECT_GLOBAL, &g, sizeof g, NULL, 0);
    struct ls_rec_thread_arg ta = {.tid = 2, .obj = 1, .arg = 0x5000, .start = 0x401100};
    tb_rec(&t, LS_REC_THREAD_ARG, &ta, sizeof ta, NULL, 0);
    struct ls_rec_access a = {.tid = 2, .flags = LS_ACCESS_WRITE, .addr = 0x5004, .size = 4};
    tb_rec(&t, LS_REC_ACCESS, &a, sizeof a, NULL, 0);
    struct ls_rec_access b = {.tid = 3, .flags = LS_ACCESS_WRITE, .addr = 0x5004, .size = 4};
    tb_rec(&t, LS_REC_ACCESS, &b, sizeof b, NULL, 0);
    /* thread 2's, although thread 3's access came after it */
    struct ls_rec_access_obj ao = {.tid = 2, .obj = 1, .addr = 0x5004};
    tb_rec(&t, LS_REC_ACCESS_OBJ, &ao, sizeof ao, NULL, 0);
    /* not the latest access of thread 3 at that address: ignored */
    struct ls_rec_access_obj bad = {.tid = 3, .obj = 1, .addr = 0x6000};
    tb_rec(&t, LS_REC_ACCESS_OBJ, &bad, sizeof bad, NULL, 0);
    struct ls_rec_object_end e = {.id = 1, .tid = 3};
    tb_rec(&t, LS_REC_OBJECT_END, &e, sizeof e, NULL, 0);
    struct ls_process *p = parse_ok(&t, t.len);
    cr_assert_eq(p->naccesses, 2);
    cr_assert_eq(p->accesses[0].obj, 1u);
    cr_assert_eq(p->accesses[1].obj, 0u);
    cr_assert_eq(p->nobjects, 1);
    const struct ls_object_rec *x = ls_find_object(p, 1);
    cr_assert_not_null(x);
    cr_assert_eq(x->r.kind, LS_OBJ_HEAP);
    cr_assert_eq(x->r.addr, 0x5000u);
    cr_assert_eq(x->global, 0x404040u);
    cr_assert(x->ended);
    cr_assert_eq(x->end_tid, 3u);
    cr_assert_null(ls_find_object(p, 2));
    cr_assert_eq(p->nthread_args, 1);
    cr_assert_eq(p->thread_args[0].tid, 2u);
    cr_assert_eq(p->thread_args[0].obj, 1u);
    cr_assert_eq(p->thread_args[0].arg, 0x5000u);
    cr_assert_eq(p->thread_args[0].start, 0x401100u);
    ls_process_free(p);
    tb_free(&t);
}
