/* src/io/atomic_file.c: write a file under a temporary name, then rename it into place */
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

enum { TMP_SUFFIX_LEN = 6, TMP_ATTEMPTS = 1000 };

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
    f->tmp_path = NULL;
    f->failed = false;
}

/* Like mkstemp, but with mode 0666 so the umask applies exactly as for fopen
 * (mkstemp forces 0600, and reading the umask to widen it races with other threads). */
static int create_temp(char *tmp, size_t suffix_at)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int attempt = 0; attempt < TMP_ATTEMPTS; ++attempt) {
        uint64_t r = next_random();
        for (int i = 0; i < TMP_SUFFIX_LEN; ++i, r /= 62) tmp[suffix_at + (size_t)i] = alphabet[r % 62];
        tmp[suffix_at + TMP_SUFFIX_LEN] = '\0';  /* the suffix overwrote snprintf's NUL */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

sc_status sc_atomic_open(const char *path, sc_atomic_file *f)
{
    sc_status st = SC_OK;
    reset(f);
    if (!path || !*path) return sc_fail(SC_EINVAL, "atomic write: empty output path");
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return sc_fail(SC_EIO, "%s: cannot write: is a directory", path);

    size_t plen = strlen(path), dlen = dir_prefix_len(path);
    if (dlen == plen) return sc_fail(SC_EIO, "%s: cannot write: is a directory", path);
    /* "<dir>/" + "." + name + ".tmp-" + suffix + NUL */
    size_t tlen = plen + 1 + 5 + TMP_SUFFIX_LEN + 1;
    char *copy = dup_string(path);
    char *tmp = sc_malloc(tlen);
    if (!copy || !tmp) {
        st = sc_fail(SC_ENOMEM, "%s: cannot allocate %zu bytes for the temporary name", path,
                     tlen);
        goto done;
    }
    int n = snprintf(tmp, tlen, "%.*s.%s.tmp-", (int)dlen, path, path + dlen);
    int fd = create_temp(tmp, (size_t)n);
    if (fd < 0) {
        st = sc_fail(SC_EIO, "%s: cannot create a temporary file beside it: %s", path,
                     strerror(errno));
        goto done;
    }
    f->fd = fd;
    f->path = copy;
    f->tmp_path = tmp;
    copy = tmp = NULL;
done:
    sc_free(copy);
    sc_free(tmp);
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

sc_status sc_atomic_commit(sc_atomic_file *f)
{
    sc_status st = SC_OK;
    if (f->fd < 0 || !f->tmp_path) return sc_fail(SC_ESTATE, "atomic write: file is not open");
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
    if (rename(f->tmp_path, f->path) != 0) {
        st = sc_fail(SC_EIO, "%s: cannot rename the temporary file into place: %s", f->path,
                     strerror(errno));
        goto done;
    }
    sc_free(f->tmp_path);
    f->tmp_path = NULL;  /* renamed: nothing left to remove */
    if (sync_dir(f->path) != 0)
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
    sc_free(f->path);
    reset(f);
}
