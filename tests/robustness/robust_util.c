/* tests/robustness/robust_util.c: scratch files, snapshots and the allocation-failure walk */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/layer.h"
#include "common/rng.h"
#include "common/scratch.h"
#include "core/core.h"
#include "robust_util.h"

/* Under AddressSanitizer, ask LeakSanitizer directly: a leak reported only at process exit
 * does not fail a Criterion test (it is a "crash during teardown", counted as passing). */
#if defined(__SANITIZE_ADDRESS__)
#define RB_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RB_LSAN 1
#endif
#endif
#ifdef RB_LSAN
#include <sanitizer/lsan_interface.h>
#endif

bool rb_leak_check_available(void)
{
#ifdef RB_LSAN
    return true;
#else
    return false;
#endif
}

void rb_expect_no_leak(const char *what)
{
#ifdef RB_LSAN
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
                 "%s: LeakSanitizer found unreachable memory (report above)", what);
#else
    (void)what;
#endif
}

void rb_make_dir(char dir[256])
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, 256, "%s/sconv-robust-XXXXXX", base && *base ? base : "/tmp");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", dir);
}

void rb_remove_dir(const char *dir) { ct_remove_tree(dir); }

void rb_path(char out[512], const char *dir, const char *name)
{
    snprintf(out, 512, "%s/%s", dir, name);
}

void rb_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

uint8_t *rb_read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    cr_assert_not_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int rb_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "opendir %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

void rb_expect_file(const char *path, const void *data, size_t len)
{
    size_t n = 0;
    uint8_t *got = rb_read_bytes(path, &n);
    cr_expect_not_null(got, "%s is gone", path);
    if (!got) return;
    cr_expect_eq(n, len, "%s holds %zu bytes, expected %zu", path, n, len);
    cr_expect(n == len && memcmp(got, data, len) == 0, "%s changed", path);
    free(got);
}

void rb_fill(float *w, int64_t n, double keep, unsigned seed)
{
    ct_rng r = {seed * 2654435761u + 1};
    for (int64_t i = 0; i < n; ++i) {
        const double u = ct_uniform(&r);
        const int level = (int)(ct_next(&r) % 33);
        w[i] = u < keep ? (float)(level - 16) / 8.0f + 0.0625f : 0.0f;
    }
}

enum { WALK_MAX = 100000 };

int rb_alloc_walk(const char *name, rb_step_fn step, rb_check_fn after_failure,
                  rb_check_fn after_success, void *ctx)
{
    for (uint64_t n = 1; n <= WALK_MAX; ++n) {
        sc_alloc_fail_at(n);
        const sc_status st = step(ctx);
        const uint64_t seen = sc_alloc_fail_at(0);
        char what[160];
        snprintf(what, sizeof what, "%s, allocation %llu failing", name, (unsigned long long)n);
        if (st == SC_OK) {
            cr_assert_lt(seen, n, "%s: succeeded although allocation %llu of %llu failed", name,
                         (unsigned long long)n, (unsigned long long)seen);
            if (after_success) after_success(ctx);
            rb_expect_no_leak(what);
            fprintf(stderr, "alloc walk %s: %llu points\n", name, (unsigned long long)(n - 1));
            return (int)(n - 1);
        }
        cr_assert_eq(st, SC_ENOMEM, "%s: allocation %llu failed: status %s (%s), expected "
                     "SC_ENOMEM", name, (unsigned long long)n, sc_strerror(st), sc_last_message());
        cr_assert(seen >= n, "%s: failed with SC_ENOMEM but only %llu allocations happened "
                  "(injected at %llu)", name, (unsigned long long)seen, (unsigned long long)n);
        cr_assert(sc_last_message()[0] != '\0', "%s: no message", name);
        after_failure(ctx);
        rb_expect_no_leak(what);
    }
    cr_assert_fail("%s: no success within %d allocations", name, WALK_MAX);
    return -1;
}

void rb_expect_same_layer(const sc_layer *a, const sc_layer *b)
{
    sc_layer_info x, y;
    sc_csr_view u, v;
    cr_assert_eq(sc_layer_get_info(a, &x), SC_OK);
    cr_assert_eq(sc_layer_get_info(b, &y), SC_OK);
    cr_assert_eq(sc_layer_get_csr(a, &u), SC_OK);
    cr_assert_eq(sc_layer_get_csr(b, &v), SC_OK);
    cr_expect_str_eq(x.name, y.name);
    cr_expect_str_eq(x.method, y.method);
    cr_expect_str_eq(x.method_params, y.method_params);
    cr_expect(x.wdesc.layout == y.wdesc.layout && x.wdesc.oc == y.wdesc.oc &&
                  x.wdesc.icg == y.wdesc.icg && x.wdesc.kh == y.wdesc.kh && x.wdesc.kw == y.wdesc.kw,
              "weight descriptors differ");
    cr_expect(memcmp(&x.params, &y.params, sizeof x.params) == 0, "conv parameters differ");
    cr_expect_eq(x.order, y.order);
    cr_assert_eq(u.rows, v.rows);
    cr_assert_eq(u.nnz, v.nnz);
    cr_assert_eq(u.index_bytes, v.index_bytes);
    cr_expect(memcmp(u.row_ptr, v.row_ptr, (size_t)(u.rows + 1) * 8) == 0, "row_ptr differs");
    cr_expect(memcmp(u.col_idx, v.col_idx, (size_t)u.nnz * (size_t)u.index_bytes) == 0,
              "col_idx differs");
    cr_expect(memcmp(u.val, v.val, (size_t)u.nnz * 4) == 0, "values differ");
    cr_assert_eq(x.bias == NULL, y.bias == NULL);
    if (x.bias) cr_expect(memcmp(x.bias, y.bias, (size_t)u.rows * 4) == 0, "bias differs");
}

sc_layer *rb_layer(const char *name, sc_wlayout layout, int64_t oc, int64_t icg, int64_t kh,
                   int64_t kw, const sc_conv_params *p, sc_pack_order order, bool bias,
                   double keep, unsigned seed)
{
    const sc_wdesc wd = {layout, oc, icg, kh, kw};
    const int64_t n = oc * icg * kh * kw;
    float *w = malloc((size_t)n * sizeof *w), *b = malloc((size_t)oc * sizeof *b);
    cr_assert(w && b);
    rb_fill(w, n, keep, seed);
    rb_fill(b, oc, 1.0, seed + 100);
    sc_layer *l = ct_pack(&(ct_layer_spec){.wd = wd, .params = p, .order = order,
                                           .bias = bias ? b : NULL, .name = name,
                                           .method = "l1", .method_params = "amount=0.5"},
                          w, NULL);
    free(w);
    free(b);
    return l;
}
