/* tests/io/test_atomic_targets.c: what the atomic writer does with each kind of destination:
 * long names, symbolic links (followed), FIFOs and devices (written through), sockets */
#define _GNU_SOURCE  /* mknod, makedev */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/test_io_util.h"
#include "sconv.h"

static sc_status put(const char *path, const void *data, size_t len)
{
    sc_atomic_file f;
    sc_status st = sc_atomic_open(path, &f);
    if (st == SC_OK) st = sc_atomic_write(&f, data, len);
    if (st == SC_OK) st = sc_atomic_commit(&f);
    else sc_atomic_abort(&f);
    return st;
}

static void expect_link(const char *path, const char *to)
{
    struct stat sb;
    cr_assert_eq(lstat(path, &sb), 0, "%s: %s", path, strerror(errno));
    cr_expect(S_ISLNK(sb.st_mode), "%s is no longer a symbolic link (mode %o)", path,
              (unsigned)sb.st_mode);
    char buf[256] = {0};
    cr_expect_gt(readlink(path, buf, sizeof buf - 1), 0);
    cr_expect_str_eq(buf, to, "%s now points elsewhere", path);
}

static void expect_failure(sc_status st, const char *path, const char *words)
{
    cr_expect_eq(st, SC_EIO, "%s: %s (%s)", path, sc_strerror(st), sc_last_message());
    cr_expect(strstr(sc_last_message(), path) != NULL, "message: %s", sc_last_message());
    cr_expect(strstr(sc_last_message(), words) != NULL, "message lacks '%s': %s", words,
              sc_last_message());
}

/* Every name the file system takes can be written: the temporary name does not grow with it. */
Test(atomic_targets, names_up_to_name_max)
{
    char dir[64];
    tio_make_dir(dir);
    long name_max = pathconf(dir, _PC_NAME_MAX);
    if (name_max <= 0 || name_max > 255) name_max = 255;
    const long lens[] = {1, 200, 243, 244, 250, name_max};
    char name[300], path[400];
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; ++i) {
        memset(name, 'n', (size_t)lens[i]);
        name[lens[i]] = '\0';
        if (lens[i] > 4) memcpy(name + lens[i] - 4, ".npy", 4);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        const int64_t shape[1] = {3};
        const float v[3] = {1, 2, (float)lens[i]};
        sc_status st = sc_npy_write(path, 1, shape, v);
        cr_expect_eq(st, SC_OK, "a %ld-byte name: %s", lens[i], sc_last_message());
        st = sc_npy_write(path, 1, shape, v);  /* and replaced */
        cr_expect_eq(st, SC_OK, "a %ld-byte name replaced: %s", lens[i], sc_last_message());
        sc_array a = {0};
        cr_expect_eq(sc_npy_read(path, &a), SC_OK, "%ld: %s", lens[i], sc_last_message());
        cr_expect(a.ndim == 1 && a.shape[0] == 3 && a.data[2] == (float)lens[i]);
        sc_array_release(&a);
        cr_expect_eq(tio_count_entries(dir), 1, "a %ld-byte name left a temporary file", lens[i]);
        unlink(path);
    }
    /* one byte too long: refused by the system, with its reason, and nothing created */
    memset(name, 'n', (size_t)name_max + 1);
    name[name_max + 1] = '\0';
    snprintf(path, sizeof path, "%s/%s", dir, name);
    expect_failure(put(path, "x", 1), path, strerror(ENAMETOOLONG));
    cr_expect_eq(tio_count_entries(dir), 0);
    tio_remove_dir(dir);
}

/* A link in one directory to a file in another: the file is replaced in its own directory,
 * keeping its mode; the link stays. */
Test(atomic_targets, symlink_replaces_its_target)
{
    char dir[64], sub[96], real[128], link[128];
    tio_scratch(dir, sub, sizeof sub, "sub");
    snprintf(real, sizeof real, "%s/real.txt", dir);
    snprintf(link, sizeof link, "%s/sub/link.txt", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    tio_write_bytes(real, "old", 3);
    cr_assert_eq(chmod(real, 0640), 0);
    cr_assert_eq(symlink("../real.txt", link), 0);
    cr_expect_eq(put(link, "new content", 11), SC_OK, "%s", sc_last_message());
    expect_link(link, "../real.txt");
    tio_expect_file(real, "new content");
    struct stat sb;
    cr_assert_eq(stat(real, &sb), 0);
    cr_expect_eq(sb.st_mode & 07777, 0640, "mode %o", (unsigned)(sb.st_mode & 07777));
    cr_expect_eq(tio_count_entries(sub), 1, "a temporary file was left beside the link");
    cr_expect_eq(tio_count_entries(dir), 2, "a temporary file was left beside the target");
    tio_remove_dir(dir);
}

Test(atomic_targets, symlink_chain_replaces_the_last_target)
{
    char dir[64], l1[128], l2[128], l3[128], real[128];
    tio_scratch(dir, l1, sizeof l1, "l1");
    snprintf(l2, sizeof l2, "%s/l2", dir);
    snprintf(l3, sizeof l3, "%s/l3", dir);
    snprintf(real, sizeof real, "%s/real.npy", dir);
    tio_write_bytes(real, "old", 3);
    cr_assert_eq(symlink("l2", l1), 0);
    cr_assert_eq(symlink(l3, l2), 0);  /* absolute */
    cr_assert_eq(symlink("./real.npy", l3), 0);
    const int64_t shape[1] = {2};
    const float v[2] = {5, 6};
    cr_expect_eq(sc_npy_write(l1, 1, shape, v), SC_OK, "%s", sc_last_message());
    expect_link(l1, "l2");
    expect_link(l2, l3);
    expect_link(l3, "./real.npy");
    sc_array a = {0};
    cr_expect_eq(sc_npy_read(real, &a), SC_OK, "%s", sc_last_message());
    cr_expect(a.ndim == 1 && a.shape[0] == 2 && a.data[1] == 6.0f);
    sc_array_release(&a);
    cr_expect_eq(tio_count_entries(dir), 4);
    tio_remove_dir(dir);
}

/* A dangling link is refused: its target is not created (it could be anywhere). */
Test(atomic_targets, dangling_symlink_refused)
{
    char dir[64], link[128], missing[128];
    tio_scratch(dir, link, sizeof link, "link.npy");
    snprintf(missing, sizeof missing, "%s/missing.npy", dir);
    cr_assert_eq(symlink("missing.npy", link), 0);
    expect_failure(put(link, "data", 4), link, "dangling");
    expect_link(link, "missing.npy");
    cr_expect_neq(access(missing, F_OK), 0, "the link's target was created");
    cr_expect_eq(tio_count_entries(dir), 1);
    tio_remove_dir(dir);
}

Test(atomic_targets, symlink_loop_and_link_to_directory_refused)
{
    char dir[64], a[128], b[128], sub[128], to_dir[128];
    tio_scratch(dir, a, sizeof a, "a");
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(to_dir, sizeof to_dir, "%s/to_dir", dir);
    cr_assert_eq(symlink("b", a), 0);
    cr_assert_eq(symlink("a", b), 0);
    expect_failure(put(a, "data", 4), a, strerror(ELOOP));
    expect_link(a, "b");
    expect_link(b, "a");
    cr_assert_eq(mkdir(sub, 0755), 0);
    cr_assert_eq(symlink("sub", to_dir), 0);
    expect_failure(put(to_dir, "data", 4), to_dir, "directory");
    expect_link(to_dir, "sub");
    cr_expect_eq(tio_count_entries(sub), 0);
    cr_expect_eq(tio_count_entries(dir), 4);
    tio_remove_dir(dir);
}

typedef struct fifo_reader {
    int fd;
    unsigned char *buf;
    size_t cap, len;
} fifo_reader;

static void *read_until_eof(void *arg)
{
    fifo_reader *r = arg;
    int flags = fcntl(r->fd, F_GETFL);
    fcntl(r->fd, F_SETFL, flags & ~O_NONBLOCK);  /* the writer is connected: block until EOF */
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        r->len += (size_t)n;
        if (r->len == r->cap) break;
    }
    return NULL;
}

/* Write len pattern bytes to `dest` (the FIFO or a link to it) while a thread reads `fifo`;
 * more than a pipe's buffer, so the writer must block rather than fail with EAGAIN. */
static void fifo_roundtrip(const char *fifo, const char *dest, size_t len, unsigned seed)
{
    unsigned char *data = malloc(len);
    fifo_reader r = {.buf = malloc(len + 1), .cap = len + 1};
    cr_assert(data && r.buf);
    for (size_t i = 0; i < len; ++i) data[i] = (unsigned char)(i * 131 + seed);
    r.fd = open(fifo, O_RDONLY | O_NONBLOCK);  /* a reader exists before the writer opens */
    cr_assert_geq(r.fd, 0, "%s: %s", fifo, strerror(errno));
    sc_atomic_file f;
    sc_status st = sc_atomic_open(dest, &f);
    cr_assert_eq(st, SC_OK, "%s: %s", dest, sc_last_message());
    cr_expect_null(f.tmp_path, "a FIFO is written without a temporary file");
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, read_until_eof, &r), 0);
    st = sc_atomic_write(&f, data, len);
    if (st == SC_OK) st = sc_atomic_commit(&f);
    else sc_atomic_abort(&f);
    cr_expect_eq(st, SC_OK, "%s: %s", dest, sc_last_message());
    cr_assert_eq(pthread_join(th, NULL), 0);
    close(r.fd);
    cr_expect_eq(r.len, len, "the reader got %zu of %zu bytes", r.len, len);
    cr_expect_eq(memcmp(r.buf, data, len < r.len ? len : r.len), 0, "the reader got other bytes");
    free(data);
    free(r.buf);
}

Test(atomic_targets, fifo_written_through, .timeout = 30)
{
    char dir[64], fifo[128], link[128];
    tio_scratch(dir, fifo, sizeof fifo, "pipe");
    snprintf(link, sizeof link, "%s/link", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0, "%s", strerror(errno));
    cr_assert_eq(symlink("pipe", link), 0);
    fifo_roundtrip(fifo, fifo, (size_t)1 << 20, 1);
    fifo_roundtrip(fifo, link, 200000, 2);
    struct stat sb;
    cr_assert_eq(lstat(fifo, &sb), 0);
    cr_expect(S_ISFIFO(sb.st_mode), "the FIFO was replaced (mode %o)", (unsigned)sb.st_mode);
    expect_link(link, "pipe");
    cr_expect_eq(tio_count_entries(dir), 2, "a temporary file was left");
    tio_remove_dir(dir);
}

/* No reader: refused at once instead of waiting forever (the timeout catches a hang). */
Test(atomic_targets, fifo_without_reader_refused_at_once, .timeout = 30)
{
    char dir[64], fifo[128];
    tio_scratch(dir, fifo, sizeof fifo, "pipe");
    cr_assert_eq(mkfifo(fifo, 0600), 0, "%s", strerror(errno));
    expect_failure(put(fifo, "data", 4), fifo, "no reader");
    struct stat sb;
    cr_assert_eq(lstat(fifo, &sb), 0);
    cr_expect(S_ISFIFO(sb.st_mode), "the FIFO was replaced (mode %o)", (unsigned)sb.st_mode);
    cr_expect_eq(tio_count_entries(dir), 1, "a temporary file was left");
    tio_remove_dir(dir);
}

static void expect_null_device(const char *path)
{
    struct stat sb;
    cr_assert_eq(lstat(path, &sb), 0, "%s: %s", path, strerror(errno));
    cr_assert(S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(1, 3),
              "%s is no longer the null character device (mode %o)", path, (unsigned)sb.st_mode);
}

/* A character device is written through, never replaced: first a private copy of the null
 * device (so that a writer that replaces devices cannot harm this machine), then, only once
 * that passed, /dev/null itself. */
Test(atomic_targets, character_device_written_through)
{
    char dir[64], dev[128];
    tio_scratch(dir, dev, sizeof dev, "null");
    const int64_t shape[2] = {64, 1024};
    float *v = calloc(64 * 1024, sizeof *v);
    cr_assert_not_null(v);
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        const int err = errno;
        cr_assert_neq(geteuid(), 0, "mknod %s as root: %s", dev, strerror(err));
        tio_remove_dir(dir);
        free(v);
        cr_skip_test("cannot create a device node as uid %u (%s): this test needs root",
                     (unsigned)geteuid(), strerror(err));
    }
    struct statvfs vfs;
    cr_assert_eq(statvfs(dir, &vfs), 0);
    const sc_status st = sc_npy_write(dev, 2, shape, v);
    if (vfs.f_flag & ST_NODEV)  /* devices cannot be opened on this file system */
        expect_failure(st, dev, strerror(EACCES));
    else
        cr_expect_eq(st, SC_OK, "%s: %s", dev, sc_last_message());
    expect_null_device(dev);
    cr_assert_eq(tio_count_entries(dir), 1, "a temporary file was left");
    tio_remove_dir(dir);

    expect_null_device("/dev/null");
    cr_expect_eq(sc_npy_write("/dev/null", 2, shape, v), SC_OK, "%s", sc_last_message());
    expect_null_device("/dev/null");
    free(v);
}

Test(atomic_targets, socket_refused)
{
    char dir[64];
    tio_make_dir(dir);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", dir);
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (const struct sockaddr *)&addr, sizeof addr), 0, "%s", strerror(errno));
    expect_failure(put(addr.sun_path, "data", 4), addr.sun_path, "socket");
    struct stat sb;
    cr_assert_eq(lstat(addr.sun_path, &sb), 0);
    cr_expect(S_ISSOCK(sb.st_mode), "the socket was replaced (mode %o)", (unsigned)sb.st_mode);
    close(fd);
    tio_remove_dir(dir);
}

/* Documented: the replace gives the name a new file; another hard link keeps the old one. */
Test(atomic_targets, hard_link_keeps_the_old_content)
{
    char dir[64], a[128], b[128];
    tio_scratch(dir, a, sizeof a, "a.txt");
    snprintf(b, sizeof b, "%s/b.txt", dir);
    tio_write_bytes(a, "old", 3);
    cr_assert_eq(link(a, b), 0);
    cr_expect_eq(put(a, "new", 3), SC_OK, "%s", sc_last_message());
    tio_expect_file(a, "new");
    tio_expect_file(b, "old");
    tio_remove_dir(dir);
}
