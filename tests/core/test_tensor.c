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
