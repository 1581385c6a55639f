/* tests/core/test_tensor.c: descriptor constructors, the checker (aliasing, overflow), copy */
#include <criterion/criterion.h>
#include <stdint.h>

#include "sconv.h"

Test(tensor, nchw_and_nhwc_strides)
{
    sc_tensor a = sc_tensor_nchw(2, 3, 4, 5), b = sc_tensor_nhwc(2, 3, 4, 5);
    const int64_t sa[4] = {60, 20, 5, 1}, sb[4] = {60, 1, 15, 3};
    for (int d = 0; d < 4; ++d) {
        cr_expect_eq(a.strides[d], sa[d], "nchw stride %d", d);
        cr_expect_eq(b.strides[d], sb[d], "nhwc stride %d", d);
    }
    cr_expect_eq(sc_tensor_span(&a), 120);
    cr_expect_eq(sc_tensor_numel(&b), 120);
    cr_expect_eq(sc_tensor_offset(&b, 1, 2, 3, 4), 60 + 2 + 45 + 12);
}

Test(tensor, checker_accepts_views_and_rejects_bad_ones)
{
    sc_tensor t = sc_tensor_nhwc(1, 64, 7, 7);
    cr_expect_eq(sc_tensor_check(&t, 1, "t"), SC_OK);
    sc_tensor s = sc_tensor_slice_c(&t, 16, 32);  /* a channel slice keeps parent strides */
    cr_expect_eq(s.dims[SC_C], 32);
    cr_expect_eq(sc_tensor_check(&s, 1, "slice"), SC_OK);
    cr_expect_eq(sc_tensor_span(&s), (6 * 7 + 6) * 64 + 31 + 1);

    sc_tensor bad = sc_tensor_slice_c(&t, 40, 32);  /* past the end */
    cr_expect_eq(sc_tensor_check(&bad, 0, "bad"), SC_EINVAL);
    bad = t;
    bad.dims[SC_H] = 0;
    cr_expect_eq(sc_tensor_check(&bad, 0, "bad"), SC_EINVAL);
    bad = t;
    bad.dims[SC_N] = -3;
    cr_expect_eq(sc_tensor_check(&bad, 0, "bad"), SC_EINVAL);
    bad = t;
    bad.strides[SC_W] = -1;
    cr_expect_eq(sc_tensor_check(&bad, 0, "bad"), SC_EINVAL);

    /* Broadcast (stride 0) is fine to read, never to write. */
    sc_tensor bc = sc_tensor_nchw(1, 3, 4, 4);
    bc.strides[SC_C] = 0;
    cr_expect_eq(sc_tensor_check(&bc, 0, "read"), SC_OK);
    cr_expect_eq(sc_tensor_check(&bc, 1, "write"), SC_EINVAL);
    cr_expect_str_not_empty(sc_last_message());

    /* Overlapping rows: w stride 1 over 8 columns, but h stride 4. */
    sc_tensor ov = sc_tensor_nchw(1, 1, 4, 8);
    ov.strides[SC_H] = 4;
    cr_expect_eq(sc_tensor_check(&ov, 0, "read"), SC_OK);
    cr_expect_eq(sc_tensor_check(&ov, 1, "write"), SC_EINVAL);

    /* Interleaved but disjoint: two channels at stride 1, pixels at stride 2. */
    sc_tensor il = {.dims = {1, 2, 3, 3}, .strides = {18, 1, 6, 2}};
    cr_expect_eq(sc_tensor_check(&il, 1, "interleaved"), SC_OK);
}

Test(tensor, checker_rejects_overflow)
{
    sc_tensor t = {.dims = {INT64_C(1) << 20, INT64_C(1) << 20, INT64_C(1) << 20, 16},
                   .strides = {INT64_C(1) << 44, INT64_C(1) << 24, 16, 1}};
    cr_expect_eq(sc_tensor_check(&t, 0, "huge"), SC_EOVERFLOW);
    sc_tensor u = {.dims = {2, 1, 1, 1}, .strides = {INT64_MAX, 1, 1, 1}};
    cr_expect_eq(sc_tensor_check(&u, 0, "huge stride"), SC_EOVERFLOW);
}

/* Extents whose products do not fit int64: the constructors saturate the strides (no
 * signed overflow) and the checker refuses the view. */
Test(tensor, constructors_saturate_overflowing_strides)
{
    const int64_t big = INT64_C(1) << 41, e24 = INT64_C(1) << 24;
    const sc_tensor a = sc_tensor_nchw(1, e24, e24, e24);
    cr_expect(a.strides[0] == INT64_MAX && a.strides[1] == e24 * e24 && a.strides[2] == e24 &&
              a.strides[3] == 1, "nchw strides %lld %lld", (long long)a.strides[0],
              (long long)a.strides[1]);
    const sc_tensor b = sc_tensor_nchw(1, 32, big, big + 1);  /* a 2^40-padded output */
    cr_expect(b.strides[0] == INT64_MAX && b.strides[1] == INT64_MAX && b.strides[2] == big + 1);
    const sc_tensor c = sc_tensor_nhwc(3, big, big, 1);
    cr_expect(c.strides[0] == INT64_MAX && c.strides[1] == 1 && c.strides[2] == big &&
              c.strides[3] == big);
    const sc_tensor views[3] = {a, b, c};
    for (int i = 0; i < 3; ++i) {
        cr_expect_eq(sc_tensor_check(&views[i], 0, "huge"), SC_EOVERFLOW, "view %d", i);
        cr_expect_eq(sc_tensor_check(&views[i], 1, "huge"), SC_EOVERFLOW, "view %d", i);
        cr_expect_eq(sc_tensor_span(&views[i]), -1, "view %d", i);
        cr_expect_eq(sc_tensor_numel(&views[i]), -1, "view %d", i);
    }
    cr_expect_eq(sc_tensor_offset(&b, 0, 31, big - 1, big), -1);
    cr_expect_eq(sc_tensor_offset(&b, 0, 0, 2, 3), 2 * (big + 1) + 3);
    /* negative extents: no product is formed, the checker names the extent */
    const sc_tensor n1 = sc_tensor_nchw(2, -big, big, -big), n2 = sc_tensor_nhwc(1, -1, 5, 5);
    cr_expect(n1.strides[0] == INT64_MAX && n1.strides[1] == INT64_MAX);
    cr_expect(n2.strides[0] == INT64_MAX && n2.strides[2] == INT64_MAX);
    cr_expect_eq(sc_tensor_check(&n1, 0, "negative"), SC_EINVAL);
    cr_expect_eq(sc_tensor_check(&n2, 0, "negative"), SC_EINVAL);
    cr_expect_eq(sc_tensor_numel(&n2), -1);
    /* the largest products that fit stay exact */
    const sc_tensor ok = sc_tensor_nchw(1, 1, INT64_C(1) << 31, INT64_C(1) << 31);
    cr_expect(ok.strides[0] == INT64_C(1) << 62 && ok.strides[1] == INT64_C(1) << 62);
    cr_expect_eq(sc_tensor_numel(&ok), INT64_C(1) << 62);
}

Test(tensor, copy_nchw_to_nhwc_and_slice)
{
    enum { N = 2, C = 3, H = 2, W = 4 };
    float x[N * C * H * W], y[N * C * H * W], z[N * C * H * W];
    for (int i = 0; i < N * C * H * W; ++i) x[i] = (float)i;
    sc_tensor a = sc_tensor_nchw(N, C, H, W), b = sc_tensor_nhwc(N, C, H, W);
    cr_assert_eq(sc_tensor_copy(&a, x, &b, y), SC_OK);
    for (int n = 0; n < N; ++n)
        for (int c = 0; c < C; ++c)
            for (int h = 0; h < H; ++h)
                for (int w = 0; w < W; ++w)
                    cr_expect_eq(y[((n * H + h) * W + w) * C + c], x[((n * C + c) * H + h) * W + w]);
    cr_assert_eq(sc_tensor_copy(&b, y, &a, z), SC_OK);
    cr_expect_arr_eq(z, x, sizeof x, "round trip");

    /* channel 1 of the NHWC buffer, copied to a dense 1-channel NCHW tensor */
    sc_tensor s = sc_tensor_slice_c(&b, 1, 1);
    sc_tensor d = sc_tensor_nchw(N, 1, H, W);
    float one[N * H * W];
    cr_assert_eq(sc_tensor_copy(&s, y + 1, &d, one), SC_OK);
    for (int n = 0; n < N; ++n)
        for (int p = 0; p < H * W; ++p) cr_expect_eq(one[n * H * W + p], x[(n * C + 1) * H * W + p]);

    sc_tensor wrong = sc_tensor_nchw(N, C, H, W + 1);
    cr_expect_eq(sc_tensor_copy(&a, x, &wrong, z), SC_EINVAL);
}
