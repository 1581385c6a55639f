/* tests/io/test_file_util.c: whole-file reads and atomic writes (src/io/file_util.h) */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/test_io_util.h"

Test(read_file, contents_and_empty)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "a.bin");
    const char text[] = "hello\0world";
    tio_write_bytes(path, text, sizeof text);
    void *buf = NULL;
    size_t len = 0;
    cr_assert_eq(sc_read_file(path, SIZE_MAX, &buf, &len), SC_OK, "%s", sc_last_message());
    cr_expect_eq(len, sizeof text);
    cr_expect_eq(memcmp(buf, text, sizeof text), 0);
    sc_free(buf);

    tio_write_bytes(path, "", 0);
    buf = NULL;
    len = 99;
    cr_assert_eq(sc_read_file(path, SIZE_MAX, &buf, &len), SC_OK, "%s", sc_last_message());
    cr_expect_eq(len, 0);
    cr_expect_not_null(buf);
    sc_free(buf);
    tio_remove_dir(dir);
}

Test(read_file, errors_name_the_file)
{
    char dir[64], path[128], missing[128];
    tio_scratch(dir, path, sizeof path, "big.bin");
    snprintf(missing, sizeof missing, "%s/missing.bin", dir);
    char data[100] = {0};
    tio_write_bytes(path, data, sizeof data);
    void *buf = (void *)0x1;
    size_t len = 7;

    cr_expect_eq(sc_read_file(missing, SIZE_MAX, &buf, &len), SC_EIO);
    cr_expect(strstr(sc_last_message(), missing) != NULL, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "No such file") != NULL, "%s", sc_last_message());

    cr_expect_eq(sc_read_file(dir, SIZE_MAX, &buf, &len), SC_EIO);
    cr_expect(strstr(sc_last_message(), "directory") != NULL, "%s", sc_last_message());

    cr_expect_eq(sc_read_file(path, 99, &buf, &len), SC_EFORMAT);
    cr_expect(strstr(sc_last_message(), path) != NULL, "%s", sc_last_message());
    cr_expect_eq(sc_read_file(path, 100, &buf, &len), SC_OK);
    sc_free(buf);
    buf = (void *)0x1;
    len = 7;

    sc_alloc_set_limit(50);
    cr_expect_eq(sc_read_file(path, SIZE_MAX, &buf, &len), SC_ENOMEM);
    sc_alloc_set_limit(0);
    sc_alloc_fail_at(1);
    cr_expect_eq(sc_read_file(path, SIZE_MAX, &buf, &len), SC_ENOMEM);
    sc_alloc_fail_at(0);

    cr_expect_eq(buf, (void *)0x1, "outputs untouched on failure");
    cr_expect_eq(len, 7);
    tio_remove_dir(dir);
}

static void atomic_put(const char *path, const char *text, sc_status want)
{
    sc_atomic_file f;
    sc_status st = sc_atomic_open(path, &f);
    if (st == SC_OK) st = sc_atomic_write(&f, text, strlen(text));
    if (st == SC_OK) st = sc_atomic_commit(&f);
    else sc_atomic_abort(&f);
    cr_expect_eq(st, want, "%s: %s", path, sc_last_message());
}

Test(atomic_file, replaces_whole_file)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "out.txt");
    atomic_put(path, "a long first version of the file", SC_OK);
    tio_expect_file(path, "a long first version of the file");
    atomic_put(path, "short", SC_OK);
    tio_expect_file(path, "short");
    cr_expect_eq(tio_count_entries(dir), 1, "no temporary file left");
    tio_remove_dir(dir);
}

Test(atomic_file, relative_path_in_cwd)
{
    char dir[64];
    tio_make_dir(dir);
    cr_assert_eq(chdir(dir), 0);
    atomic_put("rel.txt", "relative", SC_OK);
    tio_expect_file("rel.txt", "relative");
    cr_expect_eq(tio_count_entries("."), 1);
    tio_remove_dir(dir);
}

Test(atomic_file, new_file_mode_follows_umask)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "m.txt");
    umask(022);
    atomic_put(path, "x", SC_OK);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0644, "mode %o", (unsigned)(sb.st_mode & 0777));
    umask(077);
    atomic_put(path, "y", SC_OK);  /* a replacement keeps the mode it replaces */
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0644, "mode %o", (unsigned)(sb.st_mode & 0777));
    cr_assert_eq(unlink(path), 0);
    atomic_put(path, "z", SC_OK);  /* a new file follows the umask */
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0600, "mode %o", (unsigned)(sb.st_mode & 0777));
    umask(022);
    tio_remove_dir(dir);
}

Test(atomic_file, missing_directory_fails_cleanly)
{
    char dir[64], path[160];
    tio_scratch(dir, path, sizeof path, "nodir/out.txt");
    atomic_put(path, "data", SC_EIO);
    cr_expect(strstr(sc_last_message(), path) != NULL, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "No such file") != NULL, "%s", sc_last_message());
    cr_expect_eq(tio_count_entries(dir), 0, "nothing created");
    tio_remove_dir(dir);
}

Test(atomic_file, directory_target_refused)
{
    char dir[64], path[128], inner[160];
    tio_scratch(dir, path, sizeof path, "target");
    snprintf(inner, sizeof inner, "%s/target/keep.txt", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    tio_write_bytes(inner, "kept", 4);
    atomic_put(path, "data", SC_EIO);
    cr_expect(strstr(sc_last_message(), "directory") != NULL, "%s", sc_last_message());
    char slash[160];
    snprintf(slash, sizeof slash, "%s/", path);
    atomic_put(slash, "data", SC_EIO);
    tio_expect_file(inner, "kept");
    cr_expect_eq(tio_count_entries(dir), 1);
    tio_remove_dir(dir);
}

/* The destination turns into a directory between open and commit: the rename fails,
 * the temporary file is removed and the directory is untouched. */
Test(atomic_file, rename_failure_removes_temp)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "late");
    sc_atomic_file f;
    cr_assert_eq(sc_atomic_open(path, &f), SC_OK);
    cr_assert_eq(sc_atomic_write(&f, "abc", 3), SC_OK);
    cr_expect_eq(tio_count_entries(dir), 1, "the temporary file exists");
    cr_assert_eq(mkdir(path, 0755), 0);
    cr_expect_eq(sc_atomic_commit(&f), SC_EIO);
    cr_expect(strstr(sc_last_message(), "rename") != NULL, "%s", sc_last_message());
    cr_expect_eq(tio_count_entries(dir), 1, "only the directory remains");
    sc_atomic_abort(&f);  /* after a commit: a no-op */
    sc_atomic_abort(&f);
    tio_remove_dir(dir);
}

/* A write failure (file size limit reached) keeps the previous file and leaves no temp. */
Test(atomic_file, failed_write_keeps_old_file)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "old.txt");
    atomic_put(path, "old", SC_OK);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {16, 16};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    sc_atomic_file f;
    cr_assert_eq(sc_atomic_open(path, &f), SC_OK);
    char big[64];
    memset(big, 'x', sizeof big);
    cr_expect_eq(sc_atomic_write(&f, big, sizeof big), SC_EIO);
    cr_expect(strstr(sc_last_message(), path) != NULL, "%s", sc_last_message());
    cr_expect_eq(sc_atomic_commit(&f), SC_EIO, "commit refuses after a failed write");
    tio_expect_file(path, "old");
    cr_expect_eq(tio_count_entries(dir), 1);
    tio_remove_dir(dir);
}

Test(atomic_file, abort_keeps_old_file)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "old.txt");
    atomic_put(path, "old", SC_OK);
    sc_atomic_file f;
    cr_assert_eq(sc_atomic_open(path, &f), SC_OK);
    cr_assert_eq(sc_atomic_write(&f, "new contents", 12), SC_OK);
    sc_atomic_abort(&f);
    sc_atomic_abort(&f);
    tio_expect_file(path, "old");
    cr_expect_eq(tio_count_entries(dir), 1);
    cr_expect_eq(sc_atomic_write(&f, "x", 1), SC_ESTATE);
    tio_remove_dir(dir);
}

/* Failing the 1st, 2nd, ... allocation of sc_atomic_open until it succeeds: SC_ENOMEM and
 * nothing created each time; for a new file and for one to replace (kept as it was). */
Test(atomic_file, allocation_failure)
{
    char dir[64], path[128];
    tio_scratch(dir, path, sizeof path, "o.txt");
    for (int existing = 0; existing < 2; ++existing) {
        if (existing) tio_write_bytes(path, "old", 3);
        sc_status st = SC_ENOMEM;
        uint64_t n = 1;
        for (; st == SC_ENOMEM && n < 20; ++n) {
            sc_atomic_file f;
            sc_alloc_fail_at(n);
            st = sc_atomic_open(path, &f);
            sc_alloc_fail_at(0);
            if (st == SC_OK) st = sc_atomic_write(&f, "new", 3);
            if (st == SC_OK) st = sc_atomic_commit(&f);
            else sc_atomic_abort(&f);
            if (st == SC_ENOMEM) {
                cr_expect_eq(tio_count_entries(dir), existing, "failure %llu left a file",
                             (unsigned long long)n);
                if (existing) tio_expect_file(path, "old");
            }
        }
        cr_expect_eq(st, SC_OK, "after %llu failures: %s", (unsigned long long)n,
                     sc_last_message());
        cr_expect_geq(n, 3, "no allocation was failed");
        tio_expect_file(path, "new");
        cr_expect_eq(tio_count_entries(dir), 1);
        unlink(path);
    }
    tio_remove_dir(dir);
}
