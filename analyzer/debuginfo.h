/* Where a module's debugging information is: libdwfl's find_debuginfo
 * callback, without the network. */
#ifndef LS_DEBUGINFO_H
#define LS_DEBUGINFO_H

#include <elfutils/libdwfl.h>

/* Like dwfl_standard_find_debuginfo, but looks only on this machine (the
 * build-id tree, then the .gnu_debuglink file next to the module, in its
 * .debug/ and under /usr/lib/debug, checked by build id) unless
 * DEBUGINFOD_URLS names a server: the standard search then starts
 * libdebuginfod, which costs a few milliseconds a process even when it
 * finds nothing to ask, most of a small run's analysis. */
int ls_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                      char **debuginfo_file_name);

#endif
