/* src/io/read_file.c: read a whole regular file into one allocation */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "io/file_util.h"

/* Read exactly want bytes unless end of file comes first; -1 on a read error. */
static ssize_t read_full(int fd, unsigned char *p, size_t want)
{
    size_t got = 0;
    while (got < want) {
        size_t chunk = want - got < ((size_t)1 << 30) ? want - got : ((size_t)1 << 30);
        ssize_t r = read(fd, p + got, chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

sc_status sc_read_file(const char *path, size_t max_bytes, void **buf, size_t *len)
{
    sc_status st = SC_OK;
    unsigned char *data = NULL;
    if (!path || !buf || !len) return sc_fail(SC_EINVAL, "read file: NULL argument");
    /* O_NONBLOCK: opening a FIFO must not hang before we can refuse it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return sc_fail(SC_EIO, "%s: cannot open: %s", path, strerror(errno));

    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = sc_fail(SC_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = sc_fail(SC_EIO, "%s: cannot read: is a directory", path);
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = sc_fail(SC_EIO, "%s: cannot read: not a regular file", path);
        goto done;
    }
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > max_bytes) {
        st = sc_fail(SC_EFORMAT, "%s: %jd bytes exceeds the limit of %zu bytes for this file",
                     path, (intmax_t)sb.st_size, max_bytes);
        goto done;
    }
    size_t size = (size_t)sb.st_size;
    if (size == SIZE_MAX) {
        st = sc_fail(SC_ENOMEM, "%s: %zu bytes cannot be allocated", path, size);
        goto done;
    }
    void *p = NULL;
    /* +1: room to notice a file that grew after fstat */
    st = sc_alloc_array(&p, size + 1, 1, false, path);
    if (st != SC_OK) goto done;
    data = p;
    ssize_t got = read_full(fd, data, size + 1);
    if (got < 0) {
        st = sc_fail(SC_EIO, "%s: read failed: %s", path, strerror(errno));
        goto done;
    }
    if ((size_t)got != size) {
        st = sc_fail(SC_EIO, "%s: file changed size while being read (%jd bytes, then %zd)",
                     path, (intmax_t)sb.st_size, got);
        goto done;
    }
    *buf = data;
    *len = size;
    data = NULL;
done:
    sc_free(data);
    close(fd);
    return st;
}
