/* tests/io/test_io_util.c: scratch directories and small file helpers for the io tests */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/scratch.h"
#include "io/test_io_util.h"


void tio_make_dir(char dir[64])
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base || strlen(base) > 40) base = "/tmp";
    snprintf(dir, 64, "%s/sconv_io_XXXXXX", base);
    cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", dir);
}

void tio_scratch(char dir[64], char *path, size_t cap, const char *name)
{
    tio_make_dir(dir);
    const int n = snprintf(path, cap, "%s/%s", dir, name);
    cr_assert(n > 0 && (size_t)n < cap, "path %s/%s too long", dir, name);
}

void tio_remove_dir(const char *dir) { ct_remove_tree(dir); }

void tio_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "fopen %s", path);
    cr_assert_eq(fwrite(data, 1, len, fp), len);
    cr_assert_eq(fclose(fp), 0);
}

void tio_expect_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "fopen %s", path);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    size_t want = strlen(text);
    cr_expect(n == want && memcmp(buf, text, want) == 0, "%s holds %zu bytes '%.*s', want '%s'",
              path, n, (int)n, buf, text);
}

int tio_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "opendir %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ++n;
    closedir(d);
    return n;
}
