/* tests/core/test_weights.c: weight layouts: the documented permutations, both directions */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "common/transpose.h"
#include "sconv.h"

Test(weights, documented_permutations)
{
    int p[4];
    sc_wlayout_perm(SC_OIHW, SC_HWIO, p);
    cr_expect(p[0] == 2 && p[1] == 3 && p[2] == 1 && p[3] == 0, "OIHW->HWIO is (2,3,1,0)");
    sc_wlayout_perm(SC_HWIO, SC_OIHW, p);
    cr_expect(p[0] == 3 && p[1] == 2 && p[2] == 0 && p[3] == 1, "HWIO->OIHW is (3,2,0,1)");
    sc_wlayout_perm(SC_OIHW, SC_OHWI, p);
    cr_expect(p[0] == 0 && p[1] == 2 && p[2] == 3 && p[3] == 1, "OIHW->OHWI is (0,2,3,1)");
    sc_wlayout_perm(SC_OIHW, SC_OIHW, p);
    cr_expect(p[0] == 0 && p[1] == 1 && p[2] == 2 && p[3] == 3);
}

Test(weights, convert_matches_transpose_and_round_trips)
{
    const sc_wdesc oihw = {SC_OIHW, 5, 3, 2, 4};  /* distinct extents catch swapped axes */
    const int64_t n = sc_wdesc_numel(&oihw);
    float *w = malloc(n * sizeof *w), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b),
          *c = malloc(n * sizeof *c);
    for (int64_t i = 0; i < n; ++i) w[i] = (float)(i * 7 % 113) - 50.0f;
    const sc_wlayout all[3] = {SC_OIHW, SC_OHWI, SC_HWIO};
    int64_t shape[4];
    sc_wdesc_shape(&oihw, shape);
    for (int t = 0; t < 3; ++t) {
        int perm[4];
        sc_wlayout_perm(SC_OIHW, all[t], perm);
        cr_assert_eq(sc_weights_convert(&oihw, w, all[t], a), SC_OK);
        ct_transpose4(w, shape, perm, b);
        cr_expect_arr_eq(a, b, n * sizeof *a, "OIHW -> %s equals numpy.transpose", sc_wlayout_name(all[t]));
        for (int u = 0; u < 3; ++u) {  /* from every layout to every other, and back */
            sc_wdesc from = oihw;
            from.layout = all[t];
            int64_t fshape[4];
            sc_wdesc_shape(&from, fshape);
            sc_wlayout_perm(all[t], all[u], perm);
            cr_assert_eq(sc_weights_convert(&from, a, all[u], b), SC_OK);
            ct_transpose4(a, fshape, perm, c);
            cr_expect_arr_eq(b, c, n * sizeof *b, "%s -> %s", sc_wlayout_name(all[t]), sc_wlayout_name(all[u]));
            sc_wdesc back = oihw;
            back.layout = all[u];
            cr_assert_eq(sc_weights_convert(&back, b, SC_OIHW, c), SC_OK);
            cr_expect_arr_eq(c, w, n * sizeof *c, "round trip through %s", sc_wlayout_name(all[u]));
        }
    }
    free(w); free(a); free(b); free(c);
}

Test(weights, shapes_and_parsing)
{
    const sc_wdesc hwio = {SC_HWIO, 8, 3, 5, 7};
    int64_t s[4];
    sc_wdesc_shape(&hwio, s);
    cr_expect(s[0] == 5 && s[1] == 7 && s[2] == 3 && s[3] == 8);
    sc_wdesc back;
    cr_assert_eq(sc_wdesc_from_shape(SC_HWIO, s, &back), SC_OK);
    cr_expect(back.oc == 8 && back.icg == 3 && back.kh == 5 && back.kw == 7);
    const int64_t zero[4] = {3, 0, 3, 3}, huge[4] = {INT64_C(1) << 31, INT64_C(1) << 31, 4, 4};
    cr_expect_eq(sc_wdesc_from_shape(SC_OIHW, zero, &back), SC_EINVAL);
    cr_expect_eq(sc_wdesc_from_shape(SC_OIHW, huge, &back), SC_EOVERFLOW);
    sc_wlayout l;
    cr_expect_eq(sc_wlayout_parse("HWIO", &l), SC_OK);
    cr_expect_eq(l, SC_HWIO);
    cr_expect_eq(sc_wlayout_parse("nchw", &l), SC_EINVAL);
    cr_expect_eq(sc_wlayout_parse(NULL, &l), SC_EINVAL);
}
