/* Finding a module's separate debugging information on this machine. */
#define _GNU_SOURCE
#include "debuginfo.h"
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An open descriptor of path if its build id is id, else -1. */
static int open_matching(const char *path, const unsigned char *id, int idlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int ok = 0;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (elf) {
        const void *got = NULL;
        ssize_t n = dwelf_elf_gnu_build_id(elf, &got);
        ok = n == idlen && got && memcmp(got, id, (size_t)idlen) == 0;
        elf_end(elf);
    }
    if (!ok) {
        close(fd);
        return -1;
    }
    return fd;
}

int ls_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                      char **debuginfo_file_name)
{
    const char *urls = getenv("DEBUGINFOD_URLS");
    const unsigned char *id = NULL;
    GElf_Addr id_vaddr;
    int idlen = dwfl_module_build_id(mod, &id, &id_vaddr);
    /* A server to ask, or no build id to check a debuglink file by (the
     * standard search checks its CRC instead): the standard search. */
    if ((urls && *urls) || idlen <= 0)
        return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
                                            debuglink_file, debuglink_crc, debuginfo_file_name);
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                          debuglink_crc, debuginfo_file_name);
    if (fd >= 0 || !debuglink_file || !file_name || strchr(debuglink_file, '/'))
        return fd;
    const char *slash = strrchr(file_name, '/');
    if (!slash)
        return -1;
    int dirlen = (int)(slash - file_name);
    const char *dir = file_name;
    /* next to the module, in its .debug/, under /usr/lib/debug */
    static const char *const middle[] = {"/", "/.debug/", "/"};
    for (int i = 0; i < 3; i++) {
        char path[4096];
        int n = snprintf(path, sizeof path, "%s%.*s%s%s", i == 2 ? "/usr/lib/debug" : "", dirlen,
                         dir, middle[i], debuglink_file);
        if (n <= 0 || (size_t)n >= sizeof path || strcmp(path, file_name) == 0)
            continue;
        fd = open_matching(path, id, idlen);
        if (fd >= 0) {
            *debuginfo_file_name = strdup(path);
            return fd;
        }
    }
    return -1;
}
