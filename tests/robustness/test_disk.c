/* tests/robustness/test_disk.c: writes to a full disk or an unwritable directory fail with
 * SC_EIO and leave the previous file intact and no temporary file behind */
#define _GNU_SOURCE  /* unshare */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "robust_util.h"
#include "sconv.h"

static const char old_text[] = "the previous output, which must survive the failed write\n";

typedef struct scratch {
    char base[256], mnt[512], path[512];
    bool mounted;
} scratch;

/* base/mnt with a small tmpfs mounted on it (size e.g. "64k"); false (with the reason
 * in why) when this environment cannot mount. */
static bool mount_small_tmpfs(scratch *s, const char *size, char *why, size_t cap)
{
    rb_make_dir(s->base);
    rb_path(s->mnt, s->base, "mnt");
    cr_assert_eq(mkdir(s->mnt, 0755), 0);
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0755", size);
    /* A private mount namespace when possible: the tmpfs then vanishes with this test
     * process even if an assertion ends the test before it unmounts. */
    if (unshare(CLONE_NEWNS) == 0) (void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    if (mount("tmpfs", s->mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
        snprintf(why, cap, "cannot mount a %s tmpfs on %s (%s): this test needs root or "
                 "CAP_SYS_ADMIN", size, s->mnt, strerror(errno));
        rmdir(s->mnt);
        rb_remove_dir(s->base);
        return false;
    }
    s->mounted = true;
    rb_path(s->path, s->mnt, "out.bin");
    return true;
}

static void unmount_scratch(scratch *s)
{
    if (s->mounted) cr_expect_eq(umount2(s->mnt, MNT_DETACH), 0, "umount: %s", strerror(errno));
    rmdir(s->mnt);
    rb_remove_dir(s->base);
}

/* The old file as it was, alone in its directory (no temporary file left). */
static void expect_old_alone(const scratch *s)
{
    rb_expect_file(s->path, old_text, sizeof old_text);
    cr_expect_eq(rb_count_entries(s->mnt), 1, "a temporary file was left in %s", s->mnt);
}

static sc_status write_big_npy(const char *path)
{
    static float data[256 * 1024];  /* 1 MiB: does not fit a 64 KiB file system */
    for (int i = 0; i < 256 * 1024; ++i) data[i] = (float)(i % 9) - 4.0f;
    const int64_t shape[2] = {256, 1024};
    return sc_npy_write(path, 2, shape, data);
}

static sc_status write_big_sconv(const char *path)
{
    sc_layer *l = rb_layer("big", SC_OIHW, 256, 64, 3, 3, NULL, SC_PACK_CHW, true, 0.9, 31);
    const sc_layer *ls[1] = {l};
    const sc_status st = sc_file_write(path, ls, 1);  /* ~900 KB */
    sc_layer_destroy(l);
    return st;
}

Test(disk, full_disk_keeps_the_previous_file)
{
    scratch s = {0};
    char why[1024];
    if (!mount_small_tmpfs(&s, "64k", why, sizeof why)) cr_skip_test("%s", why);
    rb_write_bytes(s.path, old_text, sizeof old_text);

    sc_status st = write_big_npy(s.path);
    cr_expect_eq(st, SC_EIO, "npy: %s (%s)", sc_strerror(st), sc_last_message());
    cr_expect(strstr(sc_last_message(), s.path) != NULL, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), strerror(ENOSPC)) != NULL, "%s", sc_last_message());
    expect_old_alone(&s);

    st = write_big_sconv(s.path);
    cr_expect_eq(st, SC_EIO, ".sconv: %s (%s)", sc_strerror(st), sc_last_message());
    cr_expect(strstr(sc_last_message(), strerror(ENOSPC)) != NULL, "%s", sc_last_message());
    expect_old_alone(&s);

    /* with no previous file: still nothing under the name */
    unlink(s.path);
    cr_expect_eq(write_big_npy(s.path), SC_EIO);
    cr_expect_eq(rb_count_entries(s.mnt), 0, "a partial or temporary file was left");
    /* and the file system is usable again: a small file fits */
    const int64_t shape[1] = {4};
    const float v[4] = {1, 2, 3, 4};
    cr_expect_eq(sc_npy_write(s.path, 1, shape, v), SC_OK, "%s", sc_last_message());
    unmount_scratch(&s);
}

Test(disk, read_only_file_system_keeps_the_previous_file)
{
    scratch s = {0};
    char why[1024];
    if (!mount_small_tmpfs(&s, "1m", why, sizeof why)) cr_skip_test("%s", why);
    rb_write_bytes(s.path, old_text, sizeof old_text);
    if (mount("tmpfs", s.mnt, "tmpfs", MS_REMOUNT | MS_RDONLY, NULL) != 0) {
        snprintf(why, sizeof why, "cannot remount %s read-only (%s)", s.mnt, strerror(errno));
        unmount_scratch(&s);
        cr_skip_test("%s", why);
    }
    sc_status st = write_big_npy(s.path);
    cr_expect_eq(st, SC_EIO, "npy: %s (%s)", sc_strerror(st), sc_last_message());
    cr_expect(strstr(sc_last_message(), strerror(EROFS)) != NULL, "%s", sc_last_message());
    expect_old_alone(&s);
    st = write_big_sconv(s.path);
    cr_expect_eq(st, SC_EIO, ".sconv: %s (%s)", sc_strerror(st), sc_last_message());
    expect_old_alone(&s);
    unmount_scratch(&s);
}

/* A directory without write permission, written by a user the permission applies to:
 * this process when it is not root, else a child that drops to uid/gid 65534 (nobody). */
Test(disk, unwritable_directory_keeps_the_previous_file)
{
    char base[256], dir[512], path[512];
    rb_make_dir(base);
    cr_assert_eq(chmod(base, 0755), 0);
    rb_path(dir, base, "ro");
    cr_assert_eq(mkdir(dir, 0755), 0);
    rb_path(path, dir, "out.npy");
    rb_write_bytes(path, old_text, sizeof old_text);
    cr_assert_eq(chmod(path, 0666), 0);  /* the file may be written: the directory refuses */
    cr_assert_eq(chmod(dir, 0555), 0);
    int code;
    if (geteuid() != 0) {
        const sc_status st = write_big_npy(path);
        code = st == SC_EIO && strstr(sc_last_message(), strerror(EACCES)) ? 0 : 1;
        if (code) cr_log_error("%s: %s", sc_strerror(st), sc_last_message());
    } else {
        const pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) _exit(77);
            const sc_status st = write_big_npy(path);
            if (st != SC_EIO) _exit(2);
            if (!strstr(sc_last_message(), strerror(EACCES))) _exit(3);
            _exit(0);
        }
        int ws = 0;
        cr_assert_eq(waitpid(pid, &ws, 0), pid);
        cr_assert(WIFEXITED(ws), "the writer child died (status %d)", ws);
        code = WEXITSTATUS(ws);
        if (code == 77) {
            chmod(dir, 0755);
            rb_remove_dir(dir);
            rb_remove_dir(base);
            cr_skip_test("cannot drop privileges to uid 65534 to test a permission-denied write");
        }
    }
    cr_expect_eq(code, 0, "expected SC_EIO naming '%s' (child code %d: 2 other status, 3 other "
                 "message)", strerror(EACCES), code);
    rb_expect_file(path, old_text, sizeof old_text);
    cr_expect_eq(rb_count_entries(dir), 1, "a temporary file was left");
    chmod(dir, 0755);
    rb_remove_dir(dir);
    rb_remove_dir(base);
}
