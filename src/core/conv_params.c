/* src/core/conv_params.c: convolution parameters, shape rules and activation descriptors */
#include <math.h>

#include "core/core.h"
#include "sconv/conv_params.h"

/* Limit on any single parameter: keeps every sum below in int64 without checks. */
#define PARAM_MAX ((int64_t)1 << 40)

sc_conv_params sc_conv_params_default(void)
{
    return (sc_conv_params){.stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1, .groups = 1};
}

sc_status sc_conv_params_check(const sc_conv_params *p)
{
    if (!p) return sc_fail(SC_EINVAL, "conv: params are NULL");
    if (p->stride_h < 1 || p->stride_w < 1 || p->stride_h > PARAM_MAX || p->stride_w > PARAM_MAX)
        return sc_fail(SC_EINVAL, "conv: stride %lld x %lld: strides must be in [1, 2^40]",
                       (long long)p->stride_h, (long long)p->stride_w);
    if (p->dil_h < 1 || p->dil_w < 1 || p->dil_h > PARAM_MAX || p->dil_w > PARAM_MAX)
        return sc_fail(SC_EINVAL, "conv: dilation %lld x %lld: dilations must be in [1, 2^40]",
                       (long long)p->dil_h, (long long)p->dil_w);
    const int64_t pads[4] = {p->pad_top, p->pad_left, p->pad_bottom, p->pad_right};
    for (int i = 0; i < 4; ++i)
        if (pads[i] < 0 || pads[i] > PARAM_MAX)
            return sc_fail(SC_EINVAL, "conv: padding (top %lld, left %lld, bottom %lld, right "
                           "%lld): each must be in [0, 2^40]", (long long)pads[0],
                           (long long)pads[1], (long long)pads[2], (long long)pads[3]);
    if (p->groups < 1 || p->groups > PARAM_MAX)
        return sc_fail(SC_EINVAL, "conv: groups = %lld: must be in [1, 2^40]",
                       (long long)p->groups);
    return SC_OK;
}

/* One spatial axis: out = floor((in + pads - dil*(k-1) - 1) / stride) + 1, must be >= 1. */
static sc_status axis_out(const char *axis, int64_t in, int64_t k, int64_t pad_a, int64_t pad_b,
                          int64_t dil, int64_t stride, int64_t *out)
{
    if (in < 1 || in > PARAM_MAX || k < 1 || k > PARAM_MAX)
        return sc_fail(SC_EINVAL, "conv: %s: input %lld, kernel %lld: both must be in [1, 2^40]",
                       axis, (long long)in, (long long)k);
    int64_t eff_k;
    if (sc_mul_ovf(dil, k - 1, &eff_k))
        return sc_fail(SC_EOVERFLOW, "conv: %s: dilated kernel overflows", axis);
    eff_k += 1;
    const int64_t padded = in + pad_a + pad_b;  /* < 2^42 */
    if (eff_k > padded)
        return sc_fail(SC_EINVAL, "conv: %s: the dilated kernel (%lld) is larger than the padded "
                       "input (%lld + %lld + %lld)", axis, (long long)eff_k, (long long)in,
                       (long long)pad_a, (long long)pad_b);
    *out = (padded - eff_k) / stride + 1;
    return SC_OK;
}

sc_status sc_conv_output_hw(const sc_conv_params *p, int64_t kh, int64_t kw, int64_t h,
                            int64_t w, int64_t *oh, int64_t *ow)
{
    if (!oh || !ow) return sc_fail(SC_EINVAL, "conv: output_hw: oh and ow must not be NULL");
    sc_status st = sc_conv_params_check(p);
    int64_t a = 0, b = 0;
    if (st == SC_OK) st = axis_out("height", h, kh, p->pad_top, p->pad_bottom, p->dil_h, p->stride_h, &a);
    if (st == SC_OK) st = axis_out("width", w, kw, p->pad_left, p->pad_right, p->dil_w, p->stride_w, &b);
    if (st == SC_OK) {
        *oh = a;
        *ow = b;
    }
    return st;
}

sc_status sc_conv_check(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *x,
                        const sc_tensor *y)
{
    sc_status st;
    if ((st = sc_conv_params_check(p)) != SC_OK) return st;
    if ((st = sc_wdesc_check(wd)) != SC_OK) return st;
    if ((st = sc_tensor_check(x, 0, "conv input")) != SC_OK) return st;
    if ((st = sc_tensor_check(y, 1, "conv output")) != SC_OK) return st;
    if (wd->oc % p->groups != 0)
        return sc_fail(SC_EINVAL, "conv: groups = %lld does not divide the %lld output channels",
                       (long long)p->groups, (long long)wd->oc);
    int64_t ic;
    if (sc_mul_ovf(wd->icg, p->groups, &ic) || ic != x->dims[SC_C])
        return sc_fail(SC_EINVAL, "conv: input has %lld channels, weights expect %lld per group "
                       "x %lld groups", (long long)x->dims[SC_C], (long long)wd->icg,
                       (long long)p->groups);
    int64_t oh, ow;
    if ((st = sc_conv_output_hw(p, wd->kh, wd->kw, x->dims[SC_H], x->dims[SC_W], &oh, &ow)) != SC_OK)
        return st;
    const int64_t want[4] = {x->dims[SC_N], wd->oc, oh, ow};
    static const char *const names[4] = {"batch", "channels", "height", "width"};
    for (int d = 0; d < 4; ++d)
        if (y->dims[d] != want[d])
            return sc_fail(SC_EINVAL, "conv: output %s is %lld, the convolution gives %lld",
                           names[d], (long long)y->dims[d], (long long)want[d]);
    return SC_OK;
}

sc_activation sc_activation_none(void) { return (sc_activation){SC_ACT_NONE, 0.0f, 0.0f}; }
sc_activation sc_activation_relu(void) { return (sc_activation){SC_ACT_RELU, 0.0f, INFINITY}; }
sc_activation sc_activation_relu6(void) { return (sc_activation){SC_ACT_RELU6, 0.0f, 6.0f}; }
sc_activation sc_activation_clamp(float lo, float hi) { return (sc_activation){SC_ACT_CLAMP, lo, hi}; }

sc_status sc_activation_check(const sc_activation *act)
{
    if (!act) return SC_OK;  /* NULL means none */
    if ((unsigned)act->kind > SC_ACT_CLAMP)
        return sc_fail(SC_EINVAL, "activation: unknown kind %d", (int)act->kind);
    if (act->kind == SC_ACT_CLAMP && !(act->lo <= act->hi))
        return sc_fail(SC_EINVAL, "activation: clamp [%g, %g]: needs lo <= hi, neither NaN",
                       (double)act->lo, (double)act->hi);
    return SC_OK;
}

const char *sc_activation_name(sc_act_kind kind)
{
    static const char *const names[] = {"none", "relu", "relu6", "clamp"};
    return (unsigned)kind <= SC_ACT_CLAMP ? names[kind] : "unknown";
}
