/* src/io/file_util.h: whole-file reads, format sniffing and atomic writes for src/io */
#ifndef SC_IO_FILE_UTIL_H
#define SC_IO_FILE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "sconv/base.h"

/* Read the whole regular file at path into a new sc_malloc'd buffer (free with sc_free).
 * Fails with SC_EIO (message names the file and strerror) when it cannot be opened or
 * read, is a directory or not a regular file; SC_EFORMAT when it holds more than
 * max_bytes (pass SIZE_MAX for "no limit but the allocation limit"); SC_ENOMEM when
 * the allocation is refused. An empty file gives a valid 1-byte allocation and *len = 0.
 * On failure *buf and *len are untouched. */
sc_status sc_read_file(const char *path, size_t max_bytes, void **buf, size_t *len);

/* What the first bytes of buf[0..len) look like, as a noun phrase for messages ("a .npy
 * array", "a .sconv or safetensors file", "a zip archive (...)"), or NULL when they match
 * none of the formats a user is likely to hand to the wrong reader. */
const char *sc_file_sniff(const void *buf, size_t len);

/* An output file written under a temporary name in the destination's directory and
 * renamed over the destination by sc_atomic_commit: readers see either the old file
 * or the complete new one, never a partial file, and the old file survives any failure.
 * What the destination path names decides how it is written:
 * - nothing: a new file, mode 0666 filtered by the umask (like fopen);
 * - a regular file: replaced as above; the replacement gets the old file's owner, group and
 *   permission bits (set-ID and sticky bits are dropped; ACLs and extended attributes are
 *   not copied). Other hard links to the old file keep the old content. Refused when this
 *   user could not open it for writing (e.g. mode 0444 and not root), and when the owner or
 *   group cannot be kept (not root, and the file is another user's or in a group we are
 *   not in);
 * - a symbolic link (or a chain of them) to a regular file: that file is replaced as above,
 *   with the temporary file in its directory; the links are kept. A dangling link is
 *   refused: its target is not created;
 * - a device or FIFO (possibly behind links): opened and written in place, with no temporary
 *   file and no atomicity; a FIFO with no reader is refused at once instead of waiting;
 * - a directory or a socket: refused.
 * The temporary name is ".sconv-tmp-" and six letters or digits, so any final name that fits
 * the file system can be written. Typical use:
 *     sc_atomic_file f;
 *     sc_status st = sc_atomic_open(path, &f);
 *     if (st == SC_OK) st = sc_atomic_write(&f, buf, len);
 *     if (st == SC_OK) st = sc_atomic_commit(&f); else sc_atomic_abort(&f);
 * Every call's SC_EIO message names the destination path and why (strerror(errno) where the
 * system refused). */
typedef struct sc_atomic_file {
    int fd;          /* -1 once closed */
    char *path;      /* destination as given (owned copy), named in messages */
    char *target;    /* the name renamed over: path, or the file its links lead to */
    char *tmp_path;  /* "<target's dir>/.sconv-tmp-XXXXXX"; NULL once removed or renamed, and
                      * when written through */
    bool through;    /* a device or FIFO written in place: no temporary file, no rename */
    bool failed;     /* a write failed: commit refuses */
} sc_atomic_file;

/* Examine path as above and open what will be written: the temporary file beside the target,
 * or the device or FIFO itself. SC_EIO when path is refused (the message says why) or the
 * directory is missing or not writable; SC_ENOMEM when the path copies cannot be allocated.
 * On failure nothing is created and *f is left closed (sc_atomic_abort on it is a no-op). */
sc_status sc_atomic_open(const char *path, sc_atomic_file *f);

/* Append len bytes (retrying short writes and EINTR). SC_EIO on failure, after which
 * sc_atomic_commit refuses; the caller still calls sc_atomic_abort. */
sc_status sc_atomic_write(sc_atomic_file *f, const void *buf, size_t len);

/* fsync and close the temporary file, rename it over the target, fsync the directory.
 * On failure before the rename the temporary file is removed, path is unchanged and
 * SC_EIO is returned. If only the final directory fsync fails the new file is already
 * in place (not guaranteed durable) and SC_EIO is returned. Written through: fsync where
 * the device supports it and close; SC_EIO if a write had failed (what was written stays
 * written). Always releases f. */
sc_status sc_atomic_commit(sc_atomic_file *f);

/* Close and remove the temporary file and release f; path is unchanged (written through:
 * what was written stays written).
 * Safe on a closed, aborted or committed f (no-op). */
void sc_atomic_abort(sc_atomic_file *f);

#endif
