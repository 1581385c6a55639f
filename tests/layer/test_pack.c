/* tests/layer/test_pack.c: CSR packing against a brute-force oracle, CXSparse checks, stats */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "core/core.h"
#include "sconv.h"
#include "layer/csr_cs.h"

/* ---- helpers ------------------------------------------------------------------------- */

static ct_rng rng_state;  /* random_oihw reseeds it */
static uint32_t rnd(void) { return ct_u32(&rng_state); }

/* OIHW weights where about `zero_pct` percent are exactly 0, others in +-[0.5, 8.5). */
static float *random_oihw(const sc_wdesc *wd, int zero_pct, uint64_t seed)
{
    rng_state.s = seed * 0x9E3779B97F4A7C15ULL + 1;
    const int64_t n = wd->oc * wd->icg * wd->kh * wd->kw;
    float *w = malloc((size_t)n * sizeof *w);
    for (int64_t i = 0; i < n; ++i) {
        const float mag = 0.5f + (float)(rnd() % 8000) / 1000.0f;
        w[i] = (int)(rnd() % 100) < zero_pct ? 0.0f : (rnd() & 1 ? mag : -mag);
    }
    return w;
}

/* Copy a dense OIHW array (float or byte) into `layout` by explicit loops over (o,i,h,w). */
static void to_layout(const sc_wdesc *oihw, sc_wlayout layout, const void *src, void *dst,
                      size_t elem)
{
    const int64_t NO = oihw->oc, NI = oihw->icg, NH = oihw->kh, NW = oihw->kw;
    for (int64_t o = 0; o < NO; ++o)
        for (int64_t i = 0; i < NI; ++i)
            for (int64_t h = 0; h < NH; ++h)
                for (int64_t w = 0; w < NW; ++w) {
                    const int64_t s = ((o * NI + i) * NH + h) * NW + w;
                    int64_t d;
                    if (layout == SC_OIHW) d = s;
                    else if (layout == SC_OHWI) d = ((o * NH + h) * NW + w) * NI + i;
                    else d = ((h * NW + w) * NI + i) * NO + o;  /* HWIO */
                    memcpy((char *)dst + d * elem, (const char *)src + s * elem, elem);
                }
}

/* The reference CSR of OIHW weights w under mask m (NULL = all): k from the documented
 * formulas, written out independently of the library's helpers. */
typedef struct ref_csr {
    int64_t *row_ptr, *col, nnz;
    float *val;
} ref_csr;

static ref_csr reference(const sc_wdesc *wd, const float *w, const uint8_t *m, sc_pack_order order)
{
    const int64_t NO = wd->oc, NI = wd->icg, NH = wd->kh, NW = wd->kw, cols = NI * NH * NW;
    ref_csr r = {calloc((size_t)NO + 1, 8), malloc((size_t)(NO * cols) * 8 + 8), 0,
                 malloc((size_t)(NO * cols) * 4 + 4)};
    for (int64_t o = 0; o < NO; ++o) {
        r.row_ptr[o] = r.nnz;
        for (int64_t k = 0; k < cols; ++k) {
            int64_t i, h, x;
            if (order == SC_PACK_CHW) {  /* k = (i*NH + h)*NW + x */
                i = k / (NH * NW); h = (k / NW) % NH; x = k % NW;
            } else {                     /* k = (h*NW + x)*NI + i */
                h = k / (NW * NI); x = (k / NI) % NW; i = k % NI;
            }
            const int64_t s = ((o * NI + i) * NH + h) * NW + x;
            if ((m && !m[s]) || w[s] == 0.0f) continue;
            r.col[r.nnz] = k;
            r.val[r.nnz++] = w[s];
        }
    }
    r.row_ptr[NO] = r.nnz;
    return r;
}

static void ref_free(ref_csr *r)
{
    free(r->row_ptr); free(r->col); free(r->val);
}

static void expect_equal_csr(const sc_layer *l, const ref_csr *r, const char *what)
{
    sc_csr_view v;
    cr_assert_eq(sc_layer_get_csr(l, &v), SC_OK);
    cr_assert_eq(v.nnz, r->nnz, "%s: nnz %lld, want %lld", what, (long long)v.nnz, (long long)r->nnz);
    cr_assert_eq(v.index_bytes, v.cols <= 65536 ? 2 : 4, "%s: index width", what);
    for (int64_t o = 0; o <= v.rows; ++o)
        cr_assert_eq(v.row_ptr[o], r->row_ptr[o], "%s: row_ptr[%lld] = %lld, want %lld", what,
                     (long long)o, (long long)v.row_ptr[o], (long long)r->row_ptr[o]);
    for (int64_t j = 0; j < v.nnz; ++j) {
        cr_assert_eq(sc_csr_col(&v, j), r->col[j], "%s: col[%lld]", what, (long long)j);
        cr_assert_eq(v.val[j], r->val[j], "%s: val[%lld]", what, (long long)j);
    }
}

/* Pack w (OIHW, mask m) presented in `layout`, check against the reference, unpack into
 * every layout and compare with the masked weights in that layout. */
static sc_layer *check_pack(const sc_wdesc *oihw, const float *w, const uint8_t *m,
                            sc_wlayout layout, sc_pack_order order, int64_t groups,
                            const char *what)
{
    const int64_t n = oihw->oc * oihw->icg * oihw->kh * oihw->kw;
    float *wl = malloc((size_t)n * 4), *masked = malloc((size_t)n * 4), *exp = malloc((size_t)n * 4),
          *got = malloc((size_t)n * 4);
    uint8_t *ml = m ? malloc((size_t)n) : NULL;
    to_layout(oihw, layout, w, wl, 4);
    if (m) to_layout(oihw, layout, m, ml, 1);
    sc_wdesc wd = *oihw;
    wd.layout = layout;
    sc_pack_options opt = sc_pack_options_default();
    opt.order = order;
    opt.params.groups = groups;
    opt.name = "conv";
    sc_layer *l = NULL;
    cr_assert_eq(sc_layer_pack(&wd, wl, ml, &opt, &l), SC_OK, "%s: %s", what, sc_last_message());
    ref_csr r = reference(oihw, w, m, order);
    expect_equal_csr(l, &r, what);
    cr_expect_eq(sc_layer_validate(l), SC_OK, "%s: %s", what, sc_last_message());
    cr_expect_eq(sc_layer_check_cs(l), SC_OK, "%s: CSparse: %s", what, sc_last_message());
    for (int64_t s = 0; s < n; ++s)  /* a -0 is not stored: it unpacks as +0 */
        masked[s] = ((m && !m[s]) || w[s] == 0.0f) ? 0.0f : w[s];
    const sc_wlayout all[3] = {SC_OIHW, SC_OHWI, SC_HWIO};
    for (int t = 0; t < 3; ++t) {
        to_layout(oihw, all[t], masked, exp, 4);
        memset(got, 0xff, (size_t)n * 4);
        cr_assert_eq(sc_layer_unpack(l, all[t], got), SC_OK);
        cr_expect(memcmp(got, exp, (size_t)n * 4) == 0, "%s: unpack to %s is not exact", what,
                  sc_wlayout_name(all[t]));
    }
    sc_layer_info info;
    cr_assert_eq(sc_layer_get_info(l, &info), SC_OK);
    cr_expect_eq(info.wdesc.layout, layout, "%s: source layout recorded", what);
    cr_expect_eq(info.order, order);
    cr_expect_eq(info.params.groups, groups);
    cr_expect_str_eq(info.name, "conv");
    ref_free(&r);
    free(wl); free(masked); free(exp); free(got); free(ml);
    return l;
}

/* ---- pack / unpack ------------------------------------------------------------------- */

Test(pack, every_layout_order_group_and_mask)
{
    const sc_wdesc oihw = {SC_OIHW, 8, 3, 3, 2};  /* distinct extents catch swapped axes */
    const int64_t n = 8 * 3 * 3 * 2;
    float *w = random_oihw(&oihw, 30, 1);
    uint8_t *mask = malloc((size_t)n);
    for (int64_t s = 0; s < n; ++s) mask[s] = (uint8_t)(rnd() % 3 ? 1 + rnd() % 200 : 0);
    const sc_wlayout layouts[3] = {SC_OIHW, SC_OHWI, SC_HWIO};
    const sc_pack_order orders[2] = {SC_PACK_CHW, SC_PACK_HWC};
    const int64_t groups[3] = {1, 2, 4};
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 2; ++b)
            for (int g = 0; g < 3; ++g)
                for (int mk = 0; mk < 2; ++mk) {
                    char what[96];
                    snprintf(what, sizeof what, "%s %s groups=%lld mask=%d",
                             sc_wlayout_name(layouts[a]), sc_pack_order_name(orders[b]),
                             (long long)groups[g], mk);
                    sc_layer_destroy(check_pack(&oihw, w, mk ? mask : NULL, layouts[a], orders[b],
                                                groups[g], what));
                }
    free(w);
    free(mask);
}

Test(pack, empty_rows_and_kept_zeros)
{
    const sc_wdesc oihw = {SC_OIHW, 6, 2, 2, 2};
    float *w = random_oihw(&oihw, 0, 2);
    for (int s = 0; s < 8; ++s) w[8 * 1 + s] = 0.0f;   /* row 1: all zero */
    for (int s = 0; s < 8; ++s) w[8 * 5 + s] = 0.0f;   /* last row: all zero */
    w[8 * 3 + 2] = -0.0f;                               /* a kept -0 is not stored */
    uint8_t mask[48];
    memset(mask, 1, sizeof mask);
    memset(mask, 0, 8);                                 /* row 0 masked out */
    sc_layer *l = check_pack(&oihw, w, mask, SC_OIHW, SC_PACK_CHW, 1, "empty rows");
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    cr_expect_eq(v.row_ptr[1], 0);
    cr_expect_eq(v.row_ptr[2], 0, "rows 0 and 1 are empty");
    cr_expect_eq(v.row_ptr[4] - v.row_ptr[3], 7, "the -0 is dropped");
    cr_expect_eq(v.row_ptr[6], v.row_ptr[5], "last row empty");
    cr_expect_eq(v.nnz, 3 * 8 - 1);
    sc_layer_destroy(l);
    free(w);
}

Test(pack, all_zero_layer)
{
    const sc_wdesc oihw = {SC_OIHW, 4, 3, 3, 3};
    float w[108] = {0};
    sc_layer *l = check_pack(&oihw, w, NULL, SC_HWIO, SC_PACK_HWC, 2, "all zero");
    sc_layer_stats s;
    cr_assert_eq(sc_layer_get_stats(l, &s), SC_OK);
    cr_expect_eq(s.nnz, 0);
    cr_expect_eq(s.sparsity, 1.0);
    cr_expect_eq(s.empty_rows, 4);
    cr_expect_eq(s.hist[0], 4);
    cr_expect_eq(s.l1_kept, 1.0, "nothing to lose: the documented 1");
    sc_csc c;
    cr_assert_eq(sc_layer_transpose_csc(l, &c), SC_OK);
    cr_expect_eq(c.nnz, 0);
    cr_expect_eq(c.col_ptr[27], 0);
    sc_csc_release(&c);
    sc_layer_destroy(l);
}

Test(pack, index_width_boundaries)
{
    /* 65536 columns still fit 16-bit indices (largest index 65535); 65537 do not. */
    const struct { int64_t icg, kh, kw; int bytes; } cases[] = {
        {4096, 4, 4, 2}, {65537, 1, 1, 4}, {8000, 3, 3, 4}};
    for (int c = 0; c < 3; ++c) {
        const sc_wdesc oihw = {SC_OIHW, 2, cases[c].icg, cases[c].kh, cases[c].kw};
        const int64_t cols = cases[c].icg * cases[c].kh * cases[c].kw;
        float *w = random_oihw(&oihw, 97, 10 + (uint64_t)c);
        w[cols - 1] = 3.0f;  /* the last column of row 0 is kept */
        w[2 * cols - 1] = -2.0f;
        char what[64];
        snprintf(what, sizeof what, "cols=%lld", (long long)cols);
        sc_layer *l = check_pack(&oihw, w, NULL, SC_OIHW, c == 2 ? SC_PACK_HWC : SC_PACK_CHW, 1, what);
        sc_csr_view v;
        sc_layer_get_csr(l, &v);
        cr_expect_eq(v.index_bytes, cases[c].bytes, "%s: %d-byte indices", what, v.index_bytes);
        if (c != 2) cr_expect_eq(sc_csr_col(&v, v.row_ptr[1] - 1), cols - 1, "%s: last column", what);
        sc_layer_stats s;
        sc_layer_get_stats(l, &s);
        cr_expect_eq(s.bytes_per_nnz, cases[c].bytes + 4.0);
        sc_layer_destroy(l);
        free(w);
    }
}

Test(pack, clone_is_deep_and_equal)
{
    const sc_wdesc oihw = {SC_OIHW, 4, 2, 3, 3};
    float *w = random_oihw(&oihw, 50, 3), bias[4] = {1, -2, 3, 0.5f};
    sc_pack_options opt = sc_pack_options_default();
    opt.bias = bias;
    opt.method = "l1";
    opt.method_params = "amount=0.5";
    sc_layer *a = NULL, *b = NULL;
    cr_assert_eq(sc_layer_pack(&oihw, w, NULL, &opt, &a), SC_OK);
    cr_assert_eq(sc_layer_clone(a, &b), SC_OK);
    sc_layer_info ia, ib;
    sc_layer_get_info(a, &ia);
    sc_layer_get_info(b, &ib);
    cr_expect_neq(ia.bias, ib.bias);
    cr_expect_arr_eq(ia.bias, ib.bias, sizeof bias);
    cr_expect_str_eq(ib.method, "l1");
    cr_expect_str_eq(ib.method_params, "amount=0.5");
    cr_expect_eq(ia.nnz, ib.nnz);
    float da[72], db[72];
    sc_layer_unpack(a, SC_OIHW, da);
    sc_layer_unpack(b, SC_OIHW, db);
    cr_expect_arr_eq(da, db, sizeof da);
    sc_layer_destroy(a);
    sc_layer_destroy(b);
    free(w);
}

/* ---- CXSparse: assembly, product, transpose ------------------------------------------ */

Test(pack_cs, csparse_matrix_equals_ours_and_gaxpy_agrees)
{
    const sc_wdesc oihw = {SC_OIHW, 12, 5, 3, 3};
    float *w = random_oihw(&oihw, 70, 4);
    for (int order = 0; order < 2; ++order) {
        sc_pack_options opt = sc_pack_options_default();
        opt.order = (sc_pack_order)order;
        sc_layer *l = NULL;
        cr_assert_eq(sc_layer_pack(&oihw, w, NULL, &opt, &l), SC_OK);
        sc_csr_view v;
        sc_layer_get_csr(l, &v);
        cs_dl *a = NULL;
        cr_assert_eq(sc_layer_to_cs(l, &a), SC_OK, "%s", sc_last_message());
        cr_assert_eq(a->m, v.rows);
        cr_assert_eq(a->n, v.cols);
        cr_assert_eq(a->p[a->n], v.nnz);
        /* entry by entry: every CSparse entry is ours, and counts agree */
        float dense[12 * 45];
        sc_layer_unpack(l, SC_OIHW, dense);
        for (cs_long_t k = 0; k < a->n; ++k)
            for (cs_long_t p = a->p[k]; p < a->p[k + 1]; ++p) {
                int64_t i, h, x;  /* column k back to (i, h, x) by the documented formulas */
                if (order == SC_PACK_CHW) { i = k / 9; h = (k / 3) % 3; x = k % 3; }
                else { h = k / 15; x = (k / 5) % 3; i = k % 5; }
                const float want = dense[((a->i[p] * 5 + i) * 3 + h) * 3 + x];
                cr_expect_eq(a->x[p], (double)want, "entry (%ld, %ld)", (long)a->i[p], (long)k);
                cr_expect_neq(want, 0.0f);
            }
        /* y = W x in double: CSparse's gaxpy and our CSR walk add the same terms in the
         * same (increasing column) order, so they agree exactly. */
        double x[45], y_cs[12] = {0}, y_csr[12];
        for (int k = 0; k < 45; ++k) x[k] = (double)((int)(rnd() % 2001) - 1000) / 37.0;
        cr_assert(cs_dl_gaxpy(a, x, y_cs));
        for (int64_t r = 0; r < v.rows; ++r) {
            double acc = 0;
            for (int64_t j = v.row_ptr[r]; j < v.row_ptr[r + 1]; ++j)
                acc += (double)v.val[j] * x[sc_csr_col(&v, j)];
            y_csr[r] = acc;
        }
        for (int r = 0; r < 12; ++r)
            cr_expect_eq(y_cs[r], y_csr[r], "order %d row %d: %.17g vs %.17g", order, r,
                         y_cs[r], y_csr[r]);
        /* the transposed (CSC) form: columns in order, rows increasing, values from dense */
        sc_csc c;
        cr_assert_eq(sc_layer_transpose_csc(l, &c), SC_OK);
        cr_expect_eq(c.nnz, v.nnz);
        int64_t seen = 0;
        for (int64_t k = 0; k < c.cols; ++k)
            for (int64_t p = c.col_ptr[k]; p < c.col_ptr[k + 1]; ++p, ++seen) {
                if (p > c.col_ptr[k]) cr_expect_gt(c.row_idx[p], c.row_idx[p - 1]);
                cr_expect_eq(c.val[p], (float)a->x[p], "CSC equals CSparse's compressed W");
                cr_expect_eq(c.row_idx[p], a->i[p]);
            }
        cr_expect_eq(seen, v.nnz);
        sc_csc_release(&c);
        cs_dl_spfree(a);
        sc_layer_destroy(l);
    }
    free(w);
}

Test(pack_cs, duplicates_and_corruption_are_detected)
{
    const sc_wdesc oihw = {SC_OIHW, 3, 1, 1, 4};
    const float w[12] = {1, 2, 0, 3, 0, 0, 0, 0, 4, 0, 5, 6};
    sc_pack_options opt = sc_pack_options_default();
    sc_layer *l = NULL;
    cr_assert_eq(sc_layer_pack(&oihw, w, NULL, &opt, &l), SC_OK);
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    uint16_t *col = (uint16_t *)v.col_idx;  /* test-only write through the view */
    cr_assert_eq(col[1], 1);
    col[1] = 0;                             /* row 0 now holds column 0 twice */
    cr_expect_eq(sc_layer_validate(l), SC_EFORMAT);
    cs_dl *a = NULL;
    cr_expect_eq(sc_layer_to_cs(l, &a), SC_EFORMAT, "cs_dl_dupl merges the pair");
    cr_expect(strstr(sc_last_message(), "share a position") != NULL, "%s", sc_last_message());
    cr_expect_eq(sc_layer_check_cs(l), SC_EFORMAT);
    col[1] = 3;
    col[2] = 1;                             /* unsorted but no duplicate: CSparse sorts */
    cr_expect_eq(sc_layer_check_cs(l), SC_EFORMAT, "%s", sc_last_message());
    cs_dl_spfree(a);
    sc_layer_destroy(l);
}

/* ---- statistics ---------------------------------------------------------------------- */

Test(pack_stats, hand_built_layer)
{
    /* 4 rows x 5 columns; kept per row: 5, 0, 2, 1 (densities 1, 0, .4, .2). */
    const sc_wdesc oihw = {SC_OIHW, 4, 1, 1, 5};
    const float w[20] = {1, -2, 3, -4, 5,
                         1, 1, 1, 1, 1,
                         2, 0, -2, 0, 0,
                         0, 0, 0, 0, 10};
    uint8_t mask[20];
    memset(mask, 1, sizeof mask);
    memset(mask + 5, 0, 5);
    const float bias[4] = {0, 0, 0, 0};
    sc_pack_options opt = sc_pack_options_default();
    opt.bias = bias;
    sc_layer *l = NULL;
    cr_assert_eq(sc_layer_pack(&oihw, w, mask, &opt, &l), SC_OK);
    sc_layer_stats s;
    cr_assert_eq(sc_layer_get_stats(l, &s), SC_OK);
    cr_expect_eq(s.rows, 4);
    cr_expect_eq(s.cols, 5);
    cr_expect_eq(s.nnz, 8);
    cr_expect_eq(s.sparsity, 1.0 - 8.0 / 20.0);
    cr_expect_eq(s.row_nnz_min, 0);
    cr_expect_eq(s.row_nnz_max, 5);
    cr_expect_eq(s.row_nnz_mean, 2.0);
    cr_expect_eq(s.empty_rows, 1);
    const int64_t hist[SC_STATS_BINS] = {1, 0, 1, 0, 1, 0, 0, 0, 0, 1};
    cr_expect_arr_eq(s.hist, hist, sizeof hist);
    /* sum|w| = 15 + 5 + 4 + 10 = 34, kept 29; sum w^2 = 55 + 5 + 8 + 100 = 168, kept 163 */
    cr_expect_float_eq(s.l1_kept, 29.0 / 34.0, 1e-15);
    cr_expect_float_eq(s.l2_kept, 163.0 / 168.0, 1e-15);
    cr_expect_eq(s.index_bytes, 2);
    cr_expect_eq(s.bytes_per_nnz, 6.0, "target: <= 6 bytes per nonzero plus row pointers");
    cr_expect_eq(s.bytes_row_ptr, 40);
    cr_expect_eq(s.bytes_packed, 40 + 8 * 6 + 16);
    cr_expect_eq(s.bytes_dense, 80 + 16);
    cr_expect_eq(s.bytes_file, 20 + 8 * 6 + 16);
    sc_layer_info info;
    sc_layer_get_info(l, &info);
    cr_expect_eq(info.bytes_packed, s.bytes_packed);
    cr_expect_eq(info.l1_kept, s.l1_kept);
    sc_layer_destroy(l);
}

/* ---- invalid arguments, allocation failures ------------------------------------------ */

Test(pack_errors, invalid_arguments_leave_output_untouched)
{
    const sc_wdesc ok = {SC_OIHW, 4, 1, 1, 2};
    float w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, bias[4] = {0, 0, NAN, 0};
    sc_pack_options opt = sc_pack_options_default();
    sc_layer *sentinel = (sc_layer *)&opt, *l = sentinel;
    cr_expect_eq(sc_layer_pack(NULL, w, NULL, &opt, &l), SC_EINVAL);
    cr_expect_eq(sc_layer_pack(&ok, NULL, NULL, &opt, &l), SC_EINVAL);
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, NULL, &l), SC_EINVAL);
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, NULL), SC_EINVAL);
    const sc_wdesc zero = {SC_OIHW, 0, 1, 1, 2}, badl = {(sc_wlayout)7, 4, 1, 1, 2};
    cr_expect_eq(sc_layer_pack(&zero, w, NULL, &opt, &l), SC_EINVAL);
    cr_expect_eq(sc_layer_pack(&badl, w, NULL, &opt, &l), SC_EINVAL);
    opt.params.groups = 3;
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_EINVAL, "groups must divide oc");
    cr_expect(strstr(sc_last_message(), "divide") != NULL, "%s", sc_last_message());
    opt.params.groups = 0;
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_EINVAL);
    opt = sc_pack_options_default();
    opt.order = (sc_pack_order)5;
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_EINVAL);
    opt = sc_pack_options_default();
    opt.name = "";
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_EINVAL);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    opt.name = longname;
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_EINVAL);
    opt.name = "bad\nname";
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_EINVAL);
    opt = sc_pack_options_default();
    opt.bias = bias;
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_ENUMERIC, "NaN bias");
    opt.bias = NULL;
    w[5] = INFINITY;
    cr_expect_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_ENUMERIC, "infinite weight");
    cr_expect_eq(l, sentinel, "failing calls leave *out untouched");
    w[5] = 6;
    cr_assert_eq(sc_layer_pack(&ok, w, NULL, &opt, &l), SC_OK);
    float dst[8];
    cr_expect_eq(sc_layer_unpack(l, (sc_wlayout)9, dst), SC_EINVAL);
    cr_expect_eq(sc_layer_unpack(l, SC_OIHW, NULL), SC_EINVAL);
    cr_expect_eq(sc_layer_unpack(NULL, SC_OIHW, dst), SC_EINVAL);
    cr_expect_eq(sc_layer_get_stats(l, NULL), SC_EINVAL);
    cr_expect_eq(sc_layer_get_stats(NULL, &(sc_layer_stats){0}), SC_EINVAL);
    cr_expect_eq(sc_layer_transpose_csc(NULL, &(sc_csc){0}), SC_EINVAL);
    sc_layer_destroy(l);
    sc_layer_destroy(NULL);
}

Test(pack_errors, huge_reduction_is_refused_before_allocating)
{
    /* 3 * 2^31 columns cannot be indexed by 32 bits; checked in sc_layer_alloc, which
     * pack and the file reader share (pack itself would first read 6 G weights). */
    const sc_wdesc wd = {SC_OIHW, 1, INT64_C(1) << 31, 3, 1};
    const sc_conv_params p = sc_conv_params_default();
    sc_layer *l = NULL;
    cr_expect_eq(sc_layer_alloc(&wd, &p, SC_PACK_CHW, 0, false, &l), SC_EUNSUPPORTED,
                 "%s", sc_last_message());
    cr_expect_null(l);
}

Test(pack_errors, every_allocation_failure_is_clean)
{
    const sc_wdesc oihw = {SC_OIHW, 4, 2, 3, 3};
    float *w = random_oihw(&oihw, 40, 5), bias[4] = {1, 2, 3, 4};
    sc_pack_options opt = sc_pack_options_default();
    opt.bias = bias;
    int failures = 0;
    for (uint64_t n = 1; n < 50; ++n) {
        sc_layer *l = NULL, *c = NULL;
        sc_alloc_fail_at(n);
        sc_status st = sc_layer_pack(&oihw, w, NULL, &opt, &l);
        if (st == SC_OK) st = sc_layer_clone(l, &c);
        sc_csc csc = {0};
        if (st == SC_OK) st = sc_layer_transpose_csc(l, &csc);
        sc_alloc_fail_at(0);
        sc_csc_release(&csc);
        sc_layer_destroy(l);
        sc_layer_destroy(c);
        if (st == SC_OK) break;
        cr_expect_eq(st, SC_ENOMEM, "allocation %llu: %s", (unsigned long long)n, sc_last_message());
        ++failures;
    }
    cr_expect_geq(failures, 8, "pack (4), clone (4) and transpose (3) allocate");
    free(w);
}

Test(pack, order_names)
{
    sc_pack_order o;
    cr_expect_eq(sc_pack_order_parse("NHWC", &o), SC_OK);
    cr_expect_eq(o, SC_PACK_HWC);
    cr_expect_eq(sc_pack_order_parse("nchw", &o), SC_OK);
    cr_expect_eq(o, SC_PACK_CHW);
    cr_expect_eq(sc_pack_order_parse("cwh", &o), SC_EINVAL);
    cr_expect_eq(sc_pack_order_parse(NULL, &o), SC_EINVAL);
    cr_expect_str_eq(sc_pack_order_name(SC_PACK_HWC), "hwc");
    cr_expect_null(sc_pack_order_name((sc_pack_order)3));
}

/* Kinds and output padding: defaults keep a conv layer; PyTorch's rule
 * out_pad < max(stride, dilation) per axis for conv_transpose; a failing pack leaves *out. */
Test(pack, kind_and_output_padding)
{
    const sc_wdesc wd = {SC_OIHW, 4, 3, 3, 3};
    float *w = random_oihw(&wd, 30, 77);
    sc_pack_options opt = sc_pack_options_default();
    cr_expect_eq(opt.kind, SC_LAYER_CONV);
    cr_expect(opt.out_pad_h == 0 && opt.out_pad_w == 0);
    sc_layer *l = NULL, *const sentinel = (sc_layer *)&rng_state;
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &opt, &l), SC_OK, "%s", sc_last_message());
    sc_layer_info info;
    sc_layer_get_info(l, &info);
    cr_expect(info.kind == SC_LAYER_CONV && info.out_pad_h == 0 && info.out_pad_w == 0);
    sc_layer_destroy(l);

    opt.params.stride_h = 3;
    opt.params.dil_w = 2;
    opt.kind = SC_LAYER_CONV_TRANSPOSE;
    opt.out_pad_h = 2;  /* < max(3, 1) */
    opt.out_pad_w = 1;  /* < max(1, 2) */
    l = NULL;
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &opt, &l), SC_OK, "%s", sc_last_message());
    sc_layer_get_info(l, &info);
    cr_expect(info.kind == SC_LAYER_CONV_TRANSPOSE && info.out_pad_h == 2 && info.out_pad_w == 1);
    sc_layer_destroy(l);

    static const struct { int kind; int64_t h, w; float bias; const char *msg; } bad[] = {
        {SC_LAYER_CONV_TRANSPOSE, 3, 0, 0, "height 3 must be >= 0 and smaller than max(stride 3, dilation 1)"},
        {SC_LAYER_CONV_TRANSPOSE, 0, 2, 0, "width 2 must be >= 0 and smaller than max(stride 1, dilation 2)"},
        {SC_LAYER_CONV_TRANSPOSE, -1, 0, 0, "height -1"},
        {SC_LAYER_CONV, 1, 0, 0, "only a conv_transpose layer"},
        {7, 0, 0, 0, "unknown kind 7"},
        {SC_LAYER_CONV_TRANSPOSE, 0, 0, 1, "stores no bias"},
    };
    const float bias[4] = {1, 2, 3, 4};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        opt.kind = (sc_layer_kind)bad[i].kind;
        opt.out_pad_h = bad[i].h;
        opt.out_pad_w = bad[i].w;
        opt.bias = bad[i].bias != 0 ? bias : NULL;
        l = sentinel;
        cr_expect_eq(sc_layer_pack(&wd, w, NULL, &opt, &l), SC_EINVAL, "case %zu", i);
        cr_expect(strstr(sc_last_message(), bad[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i,
                  sc_last_message(), bad[i].msg);
        cr_expect_eq(l, sentinel, "case %zu: output untouched", i);
    }
    sc_layer_kind k = SC_LAYER_CONV;
    cr_expect_eq(sc_layer_kind_parse("conv_transpose", &k), SC_OK);
    cr_expect_eq(k, SC_LAYER_CONV_TRANSPOSE);
    cr_expect_eq(sc_layer_kind_parse("deconv", &k), SC_EINVAL);
    cr_expect_str_eq(sc_layer_kind_name(SC_LAYER_CONV), "conv");
    cr_expect_str_eq(sc_layer_kind_name(SC_LAYER_CONV_TRANSPOSE), "conv_transpose");
    cr_expect_null(sc_layer_kind_name((sc_layer_kind)5));
    free(w);
}
