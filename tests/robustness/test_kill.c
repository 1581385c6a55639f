/* tests/robustness/test_kill.c: a writer SIGKILLed mid-write never leaves a truncated file
 * under the output name: the old content or nothing (a stale ".sconv-tmp-XXXXXX" may stay) */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "robust_util.h"
#include "sconv.h"

static const char old_text[] = "the previous output, which must survive the killed writer\n";

/* Whether name is the atomic writer's temporary name: ".sconv-tmp-" and exactly six letters
 * or digits. */
static bool is_temp_name(const char *name)
{
    static const char prefix[] = ".sconv-tmp-";
    const size_t n = sizeof prefix - 1;
    if (strncmp(name, prefix, n) != 0 || strlen(name) != n + 6) return false;
    for (size_t i = n; i < n + 6; ++i)
        if (!isalnum((unsigned char)name[i])) return false;
    return true;
}

/* Size of the largest hidden file in dir: the writer's temporary file (-1: none yet). */
static long long temp_size(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    long long size = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, ".", 1) != 0 || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[512];
        rb_path(p, dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && (long long)sb.st_size > size) size = (long long)sb.st_size;
    }
    closedir(d);
    return size;
}

/* Every entry of dir is `target` or its writer's temporary file; the number of temporary
 * files found (removed afterwards). */
static int check_entries(const char *dir, const char *target)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int temps = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, target))
            continue;
        cr_expect(is_temp_name(e->d_name), "unexpected entry '%s' in %s", e->d_name, dir);
        ++temps;
    }
    closedir(d);
    return temps;
}

typedef sc_status (*writer_fn)(const char *path, void *ctx);

/* Fork a child that runs write(path), SIGKILL it once its temporary file holds at least
 * 4 MiB, and check that path holds exactly the old content (or does not exist). */
static void kill_mid_write(const char *target, writer_fn write, void *ctx, bool with_old,
                           long long final_size)
{
    char dir[256], path[512];
    rb_make_dir(dir);
    rb_path(path, dir, target);
    if (with_old) rb_write_bytes(path, old_text, sizeof old_text);
    const pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) _exit(write(path, ctx) == SC_OK ? 0 : 1);
    long long seen = -1;
    const struct timespec pause = {0, 200000};  /* 0.2 ms */
    for (int i = 0; i < 300000 && seen < (4LL << 20); ++i) {  /* up to about a minute */
        seen = temp_size(dir);
        if (seen < (4LL << 20)) nanosleep(&pause, NULL);
    }
    kill(pid, SIGKILL);
    int ws = 0;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL,
              "the writer was not killed mid-write (status %d, temporary file %lld bytes of %lld)",
              ws, seen, final_size);
    cr_expect_lt(seen, final_size, "the temporary file was complete before the kill");
    if (with_old) {
        rb_expect_file(path, old_text, sizeof old_text);
    } else {
        size_t len = 0;
        uint8_t *got = rb_read_bytes(path, &len);
        cr_expect_null(got, "%s exists after the writer was killed (%zu bytes)", path, len);
        free(got);
    }
    const int temps = check_entries(dir, target);
    cr_expect_leq(temps, 1, "%d temporary files", temps);
    /* the next write succeeds next to the stale temporary file */
    const int64_t shape[1] = {2};
    const float v[2] = {7, 8};
    cr_expect_eq(sc_npy_write(path, 1, shape, v), SC_OK, "%s", sc_last_message());
    sc_array a = {0};
    if (strstr(target, ".npy")) {
        cr_expect_eq(sc_npy_read(path, &a), SC_OK, "%s", sc_last_message());
        cr_expect(a.ndim == 1 && a.shape[0] == 2 && a.data[1] == 8.0f);
        sc_array_release(&a);
    }
    cr_expect_eq(check_entries(dir, target), temps, "the stale temporary file is left alone");
    rb_remove_dir(dir);
}

/* ---- a 200 MB .npy ---- */

enum { NPY_ROWS = 50, NPY_COLS = 1000000 };  /* 50e6 floats = 200 MB */

typedef struct npy_job {
    float *data;
} npy_job;

static sc_status write_npy(const char *path, void *ctx)
{
    const npy_job *j = ctx;
    const int64_t shape[2] = {NPY_ROWS, NPY_COLS};
    return sc_npy_write(path, 2, shape, j->data);
}

static void npy_kill(bool with_old)
{
    npy_job j;
    j.data = malloc((size_t)NPY_ROWS * NPY_COLS * sizeof(float));
    cr_assert_not_null(j.data);
    for (int64_t i = 0; i < (int64_t)NPY_ROWS * NPY_COLS; ++i) j.data[i] = (float)(i & 1023);
    kill_mid_write("big.npy", write_npy, &j, with_old, 128 + (long long)NPY_ROWS * NPY_COLS * 4);
    free(j.data);
}

Test(kill, npy_writer_killed_old_file_survives, .timeout = 240) { npy_kill(true); }
Test(kill, npy_writer_killed_no_file_appears, .timeout = 240) { npy_kill(false); }

/* ---- a ~100 MB .sconv ---- */

typedef struct sconv_job {
    sc_layer *layer;
} sconv_job;

static sc_status write_sconv(const char *path, void *ctx)
{
    const sconv_job *j = ctx;
    const sc_layer *ls[1] = {j->layer};
    return sc_file_write(path, ls, 1);
}

Test(kill, sconv_writer_killed_old_file_survives, .timeout = 240)
{
    /* 4096 x 4096 x 1 x 1 weights, all kept: 16.7 M nonzeros, 6 bytes each in the file */
    sconv_job j = {rb_layer("big", SC_OIHW, 4096, 4096, 1, 1, NULL, SC_PACK_CHW, false, 1.0, 41)};
    kill_mid_write("big.sconv", write_sconv, &j, true, 6LL * 4096 * 4096);
    sc_layer_destroy(j.layer);
}
