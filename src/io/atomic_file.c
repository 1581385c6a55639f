/* src/io/atomic_file.c: write an output under a temporary name renamed into place (a device
 * or FIFO in place), keeping the replaced file's owner and mode */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/output_target.h"

enum { TMP_SUFFIX_LEN = 6, TMP_ATTEMPTS = 1000 };
#define TMP_PREFIX ".sconv-tmp-"  /* then TMP_SUFFIX_LEN letters and digits: 17 bytes */

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sc_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Length of the directory part of path including its last '/', 0 when there is none. */
static size_t dir_prefix_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* A fresh pseudo-random 64-bit value per call: enough to make name collisions rare;
 * O_EXCL makes a collision harmless (we retry), so it need not be unpredictable. */
static uint64_t next_random(void)
{
    static _Atomic uint64_t counter;
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 40) ^ (atomic_fetch_add(&counter, 1) * 0x9E3779B97F4A7C15u);
    x ^= x >> 33; x *= 0xff51afd7ed558ccdu;  /* murmur3 finalizer: spread the bits */
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53u;
    return x ^ (x >> 33);
}

static void reset(sc_atomic_file *f)
{
    f->fd = -1;
    f->path = NULL;
    f->target = NULL;
    f->tmp_path = NULL;
    f->through = false;
    f->failed = false;
}

/* Like mkstemp, but with the given creation mode: 0666 for a new file so the umask applies
 * exactly as for fopen (mkstemp forces 0600, and reading the umask to widen it races with
 * other threads); 0600 for a replacement until it gets the old file's mode. */
static int create_temp(char *tmp, size_t suffix_at, mode_t mode)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int attempt = 0; attempt < TMP_ATTEMPTS; ++attempt) {
        uint64_t r = next_random();
        for (int i = 0; i < TMP_SUFFIX_LEN; ++i, r /= 62) tmp[suffix_at + (size_t)i] = alphabet[r % 62];
        tmp[suffix_at + TMP_SUFFIX_LEN] = '\0';  /* the suffix overwrote snprintf's NUL */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Give the replacement the replaced file's owner, group and permission bits, before any data
 * is written. Owner first: chown may clear mode bits. Only root may give a file to another
 * user; rather than silently making the file ours, refuse. */
static sc_status keep_owner_and_mode(int fd, const struct stat *old, const char *path)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return sc_fail(SC_EIO, "%s: cannot examine the temporary file: %s", path, strerror(errno));
    if ((sb.st_uid != old->st_uid || sb.st_gid != old->st_gid) &&
        fchown(fd, old->st_uid, old->st_gid) != 0) {
        if (errno == EPERM)
            return sc_fail(SC_EIO, "%s: owned by uid %lu gid %lu: only root can give a "
                           "replacement that owner and group (%s), so it is not replaced "
                           "(remove it first to write a file of your own)", path,
                           (unsigned long)old->st_uid, (unsigned long)old->st_gid,
                           strerror(EPERM));
        return sc_fail(SC_EIO, "%s: cannot give the replacement owner uid %lu gid %lu: %s", path,
                       (unsigned long)old->st_uid, (unsigned long)old->st_gid, strerror(errno));
    }
    if (fchmod(fd, old->st_mode & 0777) != 0)
        return sc_fail(SC_EIO, "%s: cannot give the replacement mode %04o: %s", path,
                       (unsigned)(old->st_mode & 0777), strerror(errno));
    return SC_OK;
}

/* Open a device or FIFO to write it in place. O_NONBLOCK makes opening a FIFO that has no
 * reader fail at once (ENXIO) instead of waiting forever; it is cleared before writing. */
static sc_status open_through(const char *path, const struct stat *sb, int *out)
{
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO && S_ISFIFO(sb->st_mode))
            return sc_fail(SC_EIO, "%s: a FIFO with no reader: not waiting for one (start the "
                           "reader first)", path);
        return sc_fail(SC_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    }
    struct stat now;
    int flags = fcntl(fd, F_GETFL);
    if (fstat(fd, &now) != 0 || flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        return sc_fail(SC_EIO, "%s: cannot prepare for writing: %s", path, strerror(err));
    }
    if (S_ISREG(now.st_mode) || S_ISDIR(now.st_mode)) {  /* swapped since it was examined */
        close(fd);
        return sc_fail(SC_EIO, "%s: changed from a device or FIFO while being opened", path);
    }
    *out = fd;
    return SC_OK;
}

sc_status sc_atomic_open(const char *path, sc_atomic_file *f)
{
    reset(f);
    if (!path || !*path) return sc_fail(SC_EINVAL, "atomic write: empty output path");
    size_t plen = strlen(path);
    if (path[plen - 1] == '/') return sc_fail(SC_EIO, "%s: cannot write: is a directory", path);

    sc_out_target t;
    sc_status st = sc_out_target_resolve(path, &t);
    if (st != SC_OK) return st;
    char *copy = dup_string(path), *tmp = NULL;
    int fd = -1;
    if (!copy) {
        st = sc_fail(SC_ENOMEM, "%s: cannot allocate %zu bytes for its name", path, plen + 1);
        goto done;
    }
    if (t.kind == SC_OUT_THROUGH) {
        st = open_through(path, &t.st, &fd);
        if (st != SC_OK) goto done;
        f->through = true;
    } else {
        /* A short fixed name, so that it fits wherever the final name (up to NAME_MAX) does. */
        size_t dlen = dir_prefix_len(t.file), tlen = dlen + sizeof TMP_PREFIX + TMP_SUFFIX_LEN;
        tmp = sc_malloc(tlen);
        if (!tmp) {
            st = sc_fail(SC_ENOMEM, "%s: cannot allocate %zu bytes for the temporary name", path,
                         tlen);
            goto done;
        }
        int n = snprintf(tmp, tlen, "%.*s%s", (int)dlen, t.file, TMP_PREFIX);
        fd = create_temp(tmp, (size_t)n, t.kind == SC_OUT_REPLACE ? 0600 : 0666);
        if (fd < 0) {
            st = sc_fail(SC_EIO, "%s: cannot create a temporary file beside %s: %s", path,
                         strcmp(t.file, path) ? t.file : "it", strerror(errno));
            goto done;
        }
        if (t.kind == SC_OUT_REPLACE) st = keep_owner_and_mode(fd, &t.st, path);
        if (st != SC_OK) {
            close(fd);
            unlink(tmp);
            goto done;
        }
    }
    f->fd = fd;
    f->path = copy;
    f->target = t.file;
    f->tmp_path = tmp;
    copy = tmp = t.file = NULL;
done:
    sc_free(copy);
    sc_free(tmp);
    sc_free(t.file);
    return st;
}

sc_status sc_atomic_write(sc_atomic_file *f, const void *buf, size_t len)
{
    if (f->fd < 0) return sc_fail(SC_ESTATE, "atomic write: file is not open");
    const unsigned char *p = buf;
    while (len > 0) {
        size_t chunk = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ssize_t w = write(f->fd, p, chunk);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int err = w < 0 ? errno : EIO;
            f->failed = true;
            return sc_fail(SC_EIO, "%s: write failed: %s", f->path, strerror(err));
        }
        p += w;
        len -= (size_t)w;
    }
    return SC_OK;
}

/* fsync the directory holding path so the rename itself is durable. */
static int sync_dir(const char *path)
{
    size_t dlen = dir_prefix_len(path);
    char dir_buf[4096];
    const char *dir = ".";
    if (dlen > 0) {
        if (dlen >= sizeof dir_buf) return 0;  /* absurdly long: skip, rename is done */
        memcpy(dir_buf, path, dlen);
        dir_buf[dlen] = '\0';
        dir = dir_buf;
    }
    int dfd = open(dir, O_RDONLY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int rc = fsync(dfd);
    /* Some file systems cannot fsync a directory: that is not a write failure. */
    if (rc != 0 && (errno == EINVAL || errno == ENOTSUP)) rc = 0;
    int saved = errno;
    close(dfd);
    errno = saved;
    return rc;
}

/* A device or FIFO written in place: flush where the device supports it, and close. */
static sc_status commit_through(sc_atomic_file *f)
{
    if (f->failed) return sc_fail(SC_EIO, "%s: incompletely written: an earlier write failed", f->path);
    if (fsync(f->fd) != 0 && errno != EINVAL && errno != ENOTSUP)  /* FIFOs, /dev/null: EINVAL */
        return sc_fail(SC_EIO, "%s: cannot flush: %s", f->path, strerror(errno));
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) != 0) return sc_fail(SC_EIO, "%s: cannot close: %s", f->path, strerror(errno));
    return SC_OK;
}

sc_status sc_atomic_commit(sc_atomic_file *f)
{
    sc_status st = SC_OK;
    if (f->fd < 0 || (!f->tmp_path && !f->through))
        return sc_fail(SC_ESTATE, "atomic write: file is not open");
    if (f->through) {
        st = commit_through(f);
        goto done;
    }
    if (f->failed) {
        st = sc_fail(SC_EIO, "%s: not written: an earlier write failed", f->path);
        goto done;
    }
    if (fsync(f->fd) != 0) {
        st = sc_fail(SC_EIO, "%s: cannot flush to disk: %s", f->path, strerror(errno));
        goto done;
    }
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) != 0) {
        st = sc_fail(SC_EIO, "%s: cannot close: %s", f->path, strerror(errno));
        goto done;
    }
    if (rename(f->tmp_path, f->target) != 0) {
        st = sc_fail(SC_EIO, "%s: cannot rename the temporary file into place: %s", f->path,
                     strerror(errno));
        goto done;
    }
    sc_free(f->tmp_path);
    f->tmp_path = NULL;  /* renamed: nothing left to remove */
    if (sync_dir(f->target) != 0)
        st = sc_fail(SC_EIO, "%s: written, but its directory cannot be flushed to disk: %s",
                     f->path, strerror(errno));
done:
    sc_atomic_abort(f);
    return st;
}

void sc_atomic_abort(sc_atomic_file *f)
{
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    if (f->tmp_path) unlink(f->tmp_path);
    sc_free(f->tmp_path);
    sc_free(f->target);
    sc_free(f->path);
    reset(f);
}
