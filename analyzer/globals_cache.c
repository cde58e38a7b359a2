/*
 * What a program's code says of its globals (globals.c), kept between
 * runs: a program run again is not read and decoded again before it may
 * start.  An entry is named by a hash of its key and holds the key itself:
 * the file's path, device, inode, size, modification and change times, and
 * the same of the lockscope executable that wrote it (a rebuilt lockscope
 * may classify differently).  Anything unexpected in an entry and it is
 * ignored: the file is read again.  The types from the debug information
 * are not kept (a debug file installed later must count): globals.c reads
 * them on every run.
 *
 * Where: $LOCKSCOPE_CACHE_DIR (empty: no cache), else
 * $XDG_CACHE_HOME/lockscope, else ~/.cache/lockscope; a directory that is
 * not the user's own, or that others may write, is not used.  At most
 * MAX_ENTRIES entries: the oldest go first.
 */
#define _GNU_SOURCE
#include "globals_cache.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "LSGC 1\n"
#define MAX_ENTRIES 512
#define MAX_FILE (64u << 20)

static int own_dir(const char *dir, int create)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (!create || errno != ENOENT || mkdir(dir, 0700) != 0 || lstat(dir, &st) != 0)
            return 0;
    }
    return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
}

/* The cache directory into buf, or 0 if there is none to use. */
static int cache_dir(char *buf, size_t n, int create)
{
    const char *e = getenv("LOCKSCOPE_CACHE_DIR");
    if (e) {
        if (!*e || snprintf(buf, n, "%s", e) >= (int)n)
            return 0;
        return own_dir(buf, create);
    }
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char parent[PATH_MAX];
    if (xdg && *xdg == '/')
        snprintf(parent, sizeof parent, "%s", xdg);
    else if (home && *home == '/')
        snprintf(parent, sizeof parent, "%s/.cache", home);
    else
        return 0;
    if (snprintf(buf, n, "%s/lockscope", parent) >= (int)n)
        return 0;
    if (create) {
        struct stat st;
        if (stat(parent, &st) != 0 && (errno != ENOENT || mkdir(parent, 0700) != 0))
            return 0;
    }
    return own_dir(buf, create);
}

static void key_stat(struct strbuf *sb, const char *what, const struct stat *st)
{
    sb_printf(sb, "|%s %llu %llu %lld %lld.%09ld %lld.%09ld", what,
              (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
              (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
              (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* The entry's key for the file at path, and its file name; 0 if none. */
static int entry_of(const char *path, const char *dir, struct strbuf *key, char *file,
                    size_t n)
{
    struct stat st, self;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || stat("/proc/self/exe", &self) != 0)
        return 0;
    sb_printf(key, "x86_64 %s", path);
    key_stat(key, "file", &st);
    key_stat(key, "lockscope", &self);
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < key->len; i++)
        h = (h ^ (unsigned char)key->buf[i]) * 1099511628211ull;
    return snprintf(file, n, "%s/globals-%016llx", dir, (unsigned long long)h) < (int)n;
}

/* ---- reading an entry ---------------------------------------------------- */

struct cursor {
    const char *p, *end;
    int bad;
};

static void take(struct cursor *c, void *out, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, c->p, n);
    c->p += n;
}

static char *take_str(struct cursor *c)
{
    uint32_t n;
    take(c, &n, sizeof n);
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = 1;
        return NULL;
    }
    char *s = xcalloc(1, (size_t)n + 1);
    memcpy(s, c->p, n);
    c->p += n;
    return s;
}

static struct ls_gvar *take_vars(struct cursor *c, size_t *count)
{
    uint64_t n;
    take(c, &n, sizeof n);
    if (c->bad || n > (uint64_t)(c->end - c->p) / 24) {
        c->bad = 1;
        return NULL;
    }
    struct ls_gvar *v = n ? xcalloc(n, sizeof *v) : NULL;
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        take(c, &v[i].vaddr, sizeof v[i].vaddr);
        take(c, &v[i].size, sizeof v[i].size);
        uint32_t flags;
        take(c, &flags, sizeof flags);
        v[i].flags = flags;
        v[i].name = take_str(c);
        if (!v[i].name)
            v[i].name = xstrdup("");
    }
    *count = n;
    return v;
}

static void free_vars(struct ls_gvar *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free((char *)v[i].name);
    free(v);
}

static int read_entry(const char *file, struct strbuf *sb)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    struct stat st;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
             st.st_size > 0 && st.st_size <= MAX_FILE;
    if (ok) {
        sb_add(sb, "", 0);
        char buf[65536];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0)
            sb_add(sb, buf, (size_t)r);
        ok = r == 0 && sb->len == (size_t)st.st_size;
    }
    close(fd);
    return ok;
}

int ls_gcache_load(const char *path, struct ls_globals *g)
{
    char dir[PATH_MAX], file[PATH_MAX + 32];
    struct strbuf key, data;
    sb_init(&key);
    sb_init(&data);
    int ok = cache_dir(dir, sizeof dir, 0) && entry_of(path, dir, &key, file, sizeof file) &&
             read_entry(file, &data);
    if (ok) {
        struct cursor c = {data.buf, data.buf + data.len, 0};
        char magic[sizeof MAGIC - 1];
        take(&c, magic, sizeof magic);
        char *k = take_str(&c);
        ok = !c.bad && !memcmp(magic, MAGIC, sizeof magic) && k && !strcmp(k, key.buf);
        free(k);
        struct ls_globals n = {0};
        uint32_t scanned = 0;
        if (ok) {
            take(&c, &scanned, sizeof scanned);
            n.code_scanned = scanned == 1;
            n.vars = take_vars(&c, &n.nvars);
            uint64_t na = 0;
            take(&c, &na, sizeof na);
            if (!c.bad && na <= (uint64_t)(c.end - c.p) / 12) {
                n.atomics = na ? xcalloc(na, sizeof *n.atomics) : NULL;
                n.natomics = na;
                for (uint64_t i = 0; i < na; i++) {
                    take(&c, &n.atomics[i].vaddr, sizeof n.atomics[i].vaddr);
                    take(&c, &n.atomics[i].size, sizeof n.atomics[i].size);
                }
            } else {
                c.bad = 1;
            }
            n.tls = take_vars(&c, &n.ntls);
            /* sorted, as read_globals leaves them */
            for (size_t i = 1; i < n.nvars && !c.bad; i++)
                c.bad = n.vars[i].vaddr <= n.vars[i - 1].vaddr;
            for (size_t i = 1; i < n.natomics && !c.bad; i++)
                c.bad = n.atomics[i].vaddr < n.atomics[i - 1].vaddr;
            ok = !c.bad && c.p == c.end && scanned <= 1;
        }
        if (ok) {
            *g = n;
        } else {
            free_vars(n.vars, n.nvars);
            free_vars(n.tls, n.ntls);
            free(n.atomics);
        }
    }
    sb_free(&key);
    sb_free(&data);
    return ok ? 0 : -1;
}

/* ---- writing one --------------------------------------------------------- */

static void put_str(struct strbuf *sb, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    sb_add(sb, (const char *)&n, sizeof n);
    sb_add(sb, s, n);
}

static void put_vars(struct strbuf *sb, const struct ls_gvar *v, size_t count)
{
    uint64_t n = count;
    sb_add(sb, (const char *)&n, sizeof n);
    for (size_t i = 0; i < count; i++) {
        uint32_t flags = v[i].flags;
        sb_add(sb, (const char *)&v[i].vaddr, sizeof v[i].vaddr);
        sb_add(sb, (const char *)&v[i].size, sizeof v[i].size);
        sb_add(sb, (const char *)&flags, sizeof flags);
        put_str(sb, v[i].name ? v[i].name : "");
    }
}

struct aged {
    char *name;
    struct timespec mtime;
};

static int older(const void *a, const void *b)
{
    const struct aged *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

/* The oldest entries go when there are more than MAX_ENTRIES (never the
 * one just written, kept). */
static void prune(const char *dir, const char *kept)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct aged *e = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (strncmp(de->d_name, "globals-", 8) != 0 || !strcmp(de->d_name, kept) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        LS_GROW(e, cap, n + 1);
        e[n++] = (struct aged){xstrdup(de->d_name), st.st_mtim};
    }
    if (n + 1 > MAX_ENTRIES) {
        qsort(e, n, sizeof *e, older);
        for (size_t i = 0; i < n - MAX_ENTRIES * 3 / 4; i++)
            unlinkat(dirfd(d), e[i].name, 0);
    }
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
    closedir(d);
}

void ls_gcache_store(const char *path, const struct ls_globals *g)
{
    char dir[PATH_MAX], file[PATH_MAX + 32];
    struct strbuf key, data;
    sb_init(&key);
    sb_init(&data);
    if (cache_dir(dir, sizeof dir, 1) && entry_of(path, dir, &key, file, sizeof file)) {
        sb_add(&data, MAGIC, sizeof MAGIC - 1);
        put_str(&data, key.buf);
        uint32_t scanned = g->code_scanned ? 1 : 0;
        sb_add(&data, (const char *)&scanned, sizeof scanned);
        put_vars(&data, g->vars, g->nvars);
        uint64_t na = g->natomics;
        sb_add(&data, (const char *)&na, sizeof na);
        for (size_t i = 0; i < g->natomics; i++) {
            sb_add(&data, (const char *)&g->atomics[i].vaddr, sizeof g->atomics[i].vaddr);
            sb_add(&data, (const char *)&g->atomics[i].size, sizeof g->atomics[i].size);
        }
        put_vars(&data, g->tls, g->ntls);
        char tmp[PATH_MAX + 48];
        snprintf(tmp, sizeof tmp, "%s.XXXXXX", file);
        int fd = data.len <= MAX_FILE ? mkstemp(tmp) : -1;
        if (fd >= 0) {
            size_t off = 0;
            while (off < data.len) {
                ssize_t w = write(fd, data.buf + off, data.len - off);
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
            if (close(fd) == 0 && off == data.len && rename(tmp, file) == 0)
                prune(dir, strrchr(file, '/') + 1);
            else
                unlink(tmp);
        }
    }
    sb_free(&key);
    sb_free(&data);
}
