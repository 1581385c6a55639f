/* src/io/output_target.c: classify an output path (new, regular file to replace, special file
 * to write through) and follow symbolic links to the file they name */
#define _XOPEN_SOURCE 700  /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "io/output_target.h"

static sc_status copy_into(const char *s, const char *path, char **out)
{
    size_t n = strlen(s) + 1;
    char *d = sc_malloc(n);
    if (!d) return sc_fail(SC_ENOMEM, "%s: cannot allocate %zu bytes for the output name", path, n);
    memcpy(d, s, n);
    *out = d;
    return SC_OK;
}

/* The regular file a chain of links ends at, as an absolute path: the temporary file must be
 * created in that file's directory for the rename to replace it rather than the link. */
static sc_status resolve_links(const char *path, char **out)
{
    char *real = realpath(path, NULL);
    if (!real) {
        if (errno == ENOMEM)
            return sc_fail(SC_ENOMEM, "%s: cannot allocate the resolved name of the link", path);
        return sc_fail(SC_EIO, "%s: cannot resolve the symbolic link: %s", path, strerror(errno));
    }
    sc_status st = copy_into(real, path, out);
    free(real);  /* realpath allocates with malloc */
    return st;
}

sc_status sc_out_target_resolve(const char *path, sc_out_target *t)
{
    struct stat lsb, sb;
    if (lstat(path, &lsb) != 0) {
        char *file = NULL;
        sc_status st = copy_into(path, path, &file);
        if (st == SC_OK) *t = (sc_out_target){.kind = SC_OUT_NEW, .file = file};
        return st;
    }
    const bool link = S_ISLNK(lsb.st_mode);
    sb = lsb;
    if (link && stat(path, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return sc_fail(SC_EIO, "%s: a dangling symbolic link (its target: %s): the target "
                           "is not created through the link (create it or remove the link)",
                           path, strerror(errno));
        return sc_fail(SC_EIO, "%s: cannot follow the symbolic link: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb.st_mode)) return sc_fail(SC_EIO, "%s: cannot write: is a directory", path);
    if (S_ISSOCK(sb.st_mode)) return sc_fail(SC_EIO, "%s: cannot write: is a socket", path);
    char *file = NULL;
    sc_status st = link && S_ISREG(sb.st_mode) ? resolve_links(path, &file)
                                               : copy_into(path, path, &file);
    if (st != SC_OK) return st;
    if (!S_ISREG(sb.st_mode)) {
        *t = (sc_out_target){.kind = SC_OUT_THROUGH, .file = file, .st = sb};
        return SC_OK;
    }
    /* Like cp: a file we could not open for writing is not replaced behind its back (root
     * passes this check for any mode, as it could open the file). */
    if (faccessat(AT_FDCWD, file, W_OK, AT_EACCESS) != 0 && errno == EACCES) {
        sc_free(file);
        return sc_fail(SC_EIO, "%s: not writable by this user (%s, mode %04o): not replacing "
                       "it (make it writable or remove it first)", path, strerror(EACCES),
                       (unsigned)(sb.st_mode & 07777));
    }
    *t = (sc_out_target){.kind = SC_OUT_REPLACE, .file = file, .st = sb};
    return SC_OK;
}
