/* src/io/output_target.h: what an output path names, so that writing it never replaces a
 * device, a FIFO or a symbolic link, and a replaced file keeps its owner and mode */
#ifndef SC_IO_OUTPUT_TARGET_H
#define SC_IO_OUTPUT_TARGET_H

#include <sys/stat.h>

#include "sconv/base.h"

typedef enum sc_out_kind {
    SC_OUT_NEW,      /* nothing there yet: create it */
    SC_OUT_REPLACE,  /* a regular file, possibly at the end of symbolic links: replace it */
    SC_OUT_THROUGH,  /* a device or FIFO (possibly behind links): open it and write in place */
} sc_out_kind;

typedef struct sc_out_target {
    sc_out_kind kind;
    char *file;      /* sc_malloc'd: the name to create or rename over (links resolved);
                      * for SC_OUT_THROUGH the path as given */
    struct stat st;  /* SC_OUT_REPLACE, SC_OUT_THROUGH: the file found there */
} sc_out_target;

/* Classify path (already known not to end in '/'). Refused with SC_EIO and a message naming
 * path: a directory (also behind links), a socket, a dangling symbolic link (its target is
 * not created), a link loop, and a regular file this process may not write (mode, ACL or
 * read-only file system: EACCES from faccessat with the effective ids). SC_ENOMEM when a
 * copy cannot be allocated. A path that cannot be examined (missing directory, no search
 * permission) is SC_OUT_NEW: creating the temporary file then reports the reason. On
 * success t->file is set (free it with sc_free); on failure t is untouched. */
sc_status sc_out_target_resolve(const char *path, sc_out_target *t);

#endif
