/* tests/robustness/test_permissions.c: a replaced output keeps its owner, group and mode; a
 * file this user could not write, or whose owner it could not keep, is not replaced */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "robust_util.h"
#include "sconv.h"

enum { NOBODY = 65534 };

static const char old_text[] = "the previous output, private\n";

static sc_status write_small_npy(const char *path)
{
    const int64_t shape[1] = {3};
    const float v[3] = {1, 2, 3};
    return sc_npy_write(path, 1, shape, v);
}

/* The new content is the .npy just written. */
static void expect_written(const char *path)
{
    sc_array a = {0};
    cr_expect_eq(sc_npy_read(path, &a), SC_OK, "%s: %s", path, sc_last_message());
    cr_expect(a.ndim == 1 && a.shape[0] == 3 && a.data[2] == 3.0f, "%s: not the new array", path);
    sc_array_release(&a);
}

static void expect_owner_mode(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s: %s", path, strerror(errno));
    cr_expect_eq(sb.st_mode & 07777, mode, "%s: mode %04o, expected %04o", path,
                 (unsigned)(sb.st_mode & 07777), (unsigned)mode);
    cr_expect(sb.st_uid == uid && sb.st_gid == gid, "%s: owner %u:%u, expected %u:%u", path,
              (unsigned)sb.st_uid, (unsigned)sb.st_gid, (unsigned)uid, (unsigned)gid);
}

/* A scratch directory everyone may enter, with `name` in it holding old_text. */
static void scratch_file(char base[256], char path[512], const char *name, mode_t mode)
{
    rb_make_dir(base);
    cr_assert_eq(chmod(base, 0777), 0);
    rb_path(path, base, name);
    rb_write_bytes(path, old_text, sizeof old_text);
    cr_assert_eq(chmod(path, mode), 0);
}

/* Run write_small_npy(path) in a child as uid/gid NOBODY: 0 when it returned SC_EIO with a
 * message holding `words`, 1 another status, 2 another message, 77 when privileges cannot
 * be dropped. */
static int refused_as_nobody(const char *path, const char *words)
{
    const pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0) _exit(77);
        const sc_status st = write_small_npy(path);
        if (st != SC_EIO) _exit(1);
        if (!strstr(sc_last_message(), words) || !strstr(sc_last_message(), path)) _exit(2);
        _exit(0);
    }
    int ws = 0;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFEXITED(ws), "the writer child died (status %d)", ws);
    return WEXITSTATUS(ws);
}

/* A private (0600) file stays private whatever the umask would give a new file. */
Test(permissions, replaced_file_keeps_its_mode)
{
    char base[256], path[512];
    scratch_file(base, path, "private.npy", 0600);
    umask(022);
    cr_expect_eq(write_small_npy(path), SC_OK, "%s", sc_last_message());
    expect_written(path);
    expect_owner_mode(path, geteuid(), getegid(), 0600);
    cr_assert_eq(chmod(path, 0664), 0);
    umask(077);
    cr_expect_eq(write_small_npy(path), SC_OK, "%s", sc_last_message());
    expect_owner_mode(path, geteuid(), getegid(), 0664);
    umask(022);
    cr_expect_eq(rb_count_entries(base), 1, "a temporary file was left");
    rb_remove_dir(base);
}

/* Root replacing another user's file gives the replacement that user's owner and group. */
Test(permissions, replaced_file_keeps_its_owner)
{
    if (geteuid() != 0)
        cr_skip_test("running as uid %u: only root can make a file owned by another user",
                     (unsigned)geteuid());
    char base[256], path[512];
    scratch_file(base, path, "theirs.npy", 0640);
    cr_assert_eq(chown(path, NOBODY, NOBODY), 0, "%s", strerror(errno));
    cr_expect_eq(write_small_npy(path), SC_OK, "%s", sc_last_message());
    expect_written(path);
    expect_owner_mode(path, NOBODY, NOBODY, 0640);
    cr_expect_eq(rb_count_entries(base), 1, "a temporary file was left");
    rb_remove_dir(base);
}

/* A 0444 file: root may write it (as cp does) and it stays 0444; its owner may not, and
 * nothing changes. */
Test(permissions, read_only_file)
{
    char base[256], path[512];
    scratch_file(base, path, "ro.npy", 0444);
    if (geteuid() == 0) {
        cr_expect_eq(write_small_npy(path), SC_OK, "%s", sc_last_message());
        expect_written(path);
        expect_owner_mode(path, 0, getegid(), 0444);
        rb_write_bytes(path, old_text, sizeof old_text);  /* old content, mode still 0444 */
        cr_assert_eq(chown(base, NOBODY, NOBODY), 0);
        cr_assert_eq(chown(path, NOBODY, NOBODY), 0);
        const int code = refused_as_nobody(path, "not writable");
        if (code == 77) {
            rb_remove_dir(base);
            cr_skip_test("cannot drop privileges to uid %d to test a read-only file", NOBODY);
        }
        cr_expect_eq(code, 0, "the owner's write of its 0444 file was not refused as expected "
                     "(child code %d: 1 other status, 2 other message)", code);
        expect_owner_mode(path, NOBODY, NOBODY, 0444);
    } else {
        const sc_status st = write_small_npy(path);
        cr_expect_eq(st, SC_EIO, "%s (%s)", sc_strerror(st), sc_last_message());
        cr_expect(strstr(sc_last_message(), "not writable") != NULL, "%s", sc_last_message());
        expect_owner_mode(path, geteuid(), getegid(), 0444);
    }
    rb_expect_file(path, old_text, sizeof old_text);
    cr_expect_eq(rb_count_entries(base), 1, "a temporary file was left");
    rb_remove_dir(base);
}

/* A user other than root cannot keep another user's ownership, so it does not replace that
 * user's file even where it may write the file and its directory. */
Test(permissions, another_users_file_not_replaced)
{
    if (geteuid() != 0)
        cr_skip_test("running as uid %u: this test needs root to own a file another user "
                     "writes", (unsigned)geteuid());
    char base[256], path[512];
    scratch_file(base, path, "roots.npy", 0666);  /* writable by everyone, owned by root */
    const int code = refused_as_nobody(path, "owned by uid 0");
    if (code == 77) {
        rb_remove_dir(base);
        cr_skip_test("cannot drop privileges to uid %d", NOBODY);
    }
    cr_expect_eq(code, 0, "the write of root's file by uid %d was not refused as expected "
                 "(child code %d: 1 other status, 2 other message)", NOBODY, code);
    rb_expect_file(path, old_text, sizeof old_text);
    expect_owner_mode(path, 0, getegid(), 0666);
    cr_expect_eq(rb_count_entries(base), 1, "a temporary file was left");
    rb_remove_dir(base);
}
