/* tests/core/test_params.c: conv parameter validation and the output-shape rule */
#include <criterion/criterion.h>

#include "sconv.h"

Test(params, output_shape_hand_computed)
{
    sc_conv_params p = sc_conv_params_default();
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, 3, 3, 5, 7, &oh, &ow), SC_OK);
    cr_expect(oh == 3 && ow == 5);
    /* ResNet stem: 224, k7, s2, pad 3 -> 112 */
    p.stride_h = p.stride_w = 2;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 3;
    cr_assert_eq(sc_conv_output_hw(&p, 7, 7, 224, 224, &oh, &ow), SC_OK);
    cr_expect(oh == 112 && ow == 112);
    /* asymmetric padding, dilation 2: h = (6 + 1 + 0 - 5) / 1 + 1 = 3; w = (6 + 0 + 2 - 5)/3 + 1 = 2 */
    p = sc_conv_params_default();
    p.pad_top = 1; p.pad_right = 2; p.dil_h = p.dil_w = 2; p.stride_w = 3;
    cr_assert_eq(sc_conv_output_hw(&p, 3, 3, 6, 6, &oh, &ow), SC_OK);
    cr_expect(oh == 3 && ow == 2, "got %lld x %lld", (long long)oh, (long long)ow);
}

Test(params, invalid_values_return_einval)
{
    int64_t oh, ow;
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = 0;
    cr_expect_eq(sc_conv_output_hw(&p, 3, 3, 8, 8, &oh, &ow), SC_EINVAL);
    p = sc_conv_params_default();
    p.dil_w = -1;
    cr_expect_eq(sc_conv_params_check(&p), SC_EINVAL);
    p = sc_conv_params_default();
    p.pad_left = -1;
    cr_expect_eq(sc_conv_params_check(&p), SC_EINVAL);
    p = sc_conv_params_default();
    p.groups = 0;
    cr_expect_eq(sc_conv_params_check(&p), SC_EINVAL);
    p = sc_conv_params_default();
    cr_expect_eq(sc_conv_output_hw(&p, 5, 5, 4, 4, &oh, &ow), SC_EINVAL, "kernel larger than input");
    p.dil_h = 3;
    cr_expect_eq(sc_conv_output_hw(&p, 3, 1, 6, 6, &oh, &ow), SC_EINVAL, "dilated kernel 7 > 6");
    p = sc_conv_params_default();
    p.dil_h = INT64_C(1) << 40;
    cr_expect_eq(sc_conv_output_hw(&p, INT64_C(1) << 40, 1, 6, 6, &oh, &ow), SC_EOVERFLOW);
    cr_expect_eq(sc_conv_params_check(NULL), SC_EINVAL);
}

Test(params, conv_check_names_the_dimension)
{
    sc_conv_params p = sc_conv_params_default();
    p.groups = 2;
    sc_wdesc wd = {SC_OIHW, 6, 4, 3, 3};
    sc_tensor x = sc_tensor_nchw(1, 8, 10, 10), y = sc_tensor_nhwc(1, 6, 8, 8);
    cr_expect_eq(sc_conv_check(&p, &wd, &x, &y), SC_OK);
    sc_tensor x7 = sc_tensor_nchw(1, 7, 10, 10);
    cr_expect_eq(sc_conv_check(&p, &wd, &x7, &y), SC_EINVAL);
    cr_expect(strstr(sc_last_message(), "channels") != NULL, "%s", sc_last_message());
    sc_tensor y9 = sc_tensor_nchw(1, 6, 9, 8);
    cr_expect_eq(sc_conv_check(&p, &wd, &x, &y9), SC_EINVAL);
    cr_expect(strstr(sc_last_message(), "height") != NULL, "%s", sc_last_message());
    wd.oc = 5;
    cr_expect_eq(sc_conv_check(&p, &wd, &x, &y), SC_EINVAL, "groups must divide oc");
    sc_tensor alias = y;
    alias.strides[SC_W] = 0;
    wd.oc = 6;
    cr_expect_eq(sc_conv_check(&p, &wd, &x, &alias), SC_EINVAL, "aliasing output");
}

Test(params, activation_checks)
{
    sc_activation a = sc_activation_clamp(1.0f, -1.0f);
    cr_expect_eq(sc_activation_check(&a), SC_EINVAL);
    a = sc_activation_clamp(-1.0f, 1.0f);
    cr_expect_eq(sc_activation_check(&a), SC_OK);
    a.kind = (sc_act_kind)42;
    cr_expect_eq(sc_activation_check(&a), SC_EINVAL);
    cr_expect_str_eq(sc_activation_name(SC_ACT_RELU6), "relu6");
    cr_expect_str_eq(sc_strerror(SC_EFORMAT), "malformed file");
    cr_expect_str_eq(sc_strerror((sc_status)999), "unknown status");
}

Test(params, out_of_range_groups_name_the_range)
{
    sc_conv_params p = sc_conv_params_default();
    const int64_t bad[] = {0, -3, (INT64_C(1) << 40) + 1, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        p.groups = bad[i];
        cr_expect_eq(sc_conv_params_check(&p), SC_EINVAL);
        cr_expect(strstr(sc_last_message(), "must be in [1, 2^40]") != NULL,
                  "groups %lld: '%s'", (long long)bad[i], sc_last_message());
    }
    p.groups = INT64_C(1) << 40;
    cr_expect_eq(sc_conv_params_check(&p), SC_OK);
}
