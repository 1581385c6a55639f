/* src/core/conv_shapes.c: shape rules of backward data, transposed convolution and weight gradients */
#include <stdio.h>

#include "core/core.h"
#include "sconv/conv_params.h"

static const char *const dim_names[4] = {"batch", "channels", "height", "width"};

sc_conv_transpose_params sc_conv_transpose_params_default(void)
{
    return (sc_conv_transpose_params){.stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
                                      .groups = 1};
}

sc_conv_params sc_conv_transpose_forward_params(const sc_conv_transpose_params *p)
{
    if (!p) return (sc_conv_params){0};  /* zero strides: sc_conv_params_check refuses them */
    return (sc_conv_params){.stride_h = p->stride_h, .stride_w = p->stride_w,
                            .pad_top = p->pad_top, .pad_left = p->pad_left,
                            .pad_bottom = p->pad_bottom, .pad_right = p->pad_right,
                            .dil_h = p->dil_h, .dil_w = p->dil_w, .groups = p->groups};
}

/* Shared channel rules: wd checked, groups divide oc, icg*groups fits. */
static sc_status check_weights(const char *who, const sc_conv_params *p, const sc_wdesc *wd,
                               int64_t *icg_total)
{
    sc_status st;
    if ((st = sc_conv_params_check(p)) != SC_OK) return st;
    if ((st = sc_wdesc_check(wd)) != SC_OK) return st;
    if (wd->oc % p->groups != 0)
        return sc_fail(SC_EINVAL, "%s: groups = %lld does not divide the weights' %lld output "
                       "channels", who, (long long)p->groups, (long long)wd->oc);
    if (sc_mul_ovf(wd->icg, p->groups, icg_total))
        return sc_fail(SC_EOVERFLOW, "%s: %lld channels per group x %lld groups overflows", who,
                       (long long)wd->icg, (long long)p->groups);
    return SC_OK;
}

/* t's dims must equal want; names the tensor, both shapes and the rule in the message. */
static sc_status check_dims(const char *who, const char *what, const sc_tensor *t,
                            const int64_t want[4], const char *rule)
{
    for (int d = 0; d < 4; ++d)
        if (t->dims[d] != want[d])
            return sc_fail(SC_EINVAL, "%s: %s is %lldx%lldx%lldx%lld (NCHW extents) but %s gives "
                           "%lldx%lldx%lldx%lld: %s differs", who, what,
                           (long long)t->dims[0], (long long)t->dims[1], (long long)t->dims[2],
                           (long long)t->dims[3], rule, (long long)want[0], (long long)want[1],
                           (long long)want[2], (long long)want[3], dim_names[d]);
    return SC_OK;
}

/* `in` is the forward conv's input (ic channels in all) and dY its output: in's channels
 * must match the weights and dY's dims the forward conv of in's shape. */
static sc_status check_forward_out(const char *who, const sc_conv_params *p, const sc_wdesc *wd,
                                   int64_t ic, const sc_tensor *in, const char *in_name,
                                   const sc_tensor *dy)
{
    if (in->dims[SC_C] != ic)
        return sc_fail(SC_EINVAL, "%s: %s has %lld channels, the weights expect %lld per group x "
                       "%lld groups", who, in_name, (long long)in->dims[SC_C],
                       (long long)wd->icg, (long long)p->groups);
    int64_t oh = 0, ow = 0;  /* set by the rule; zeroed for -Wmaybe-uninitialized */
    sc_status st = sc_conv_output_hw(p, wd->kh, wd->kw, in->dims[SC_H], in->dims[SC_W], &oh, &ow);
    if (st != SC_OK) return st;
    const int64_t want[4] = {in->dims[SC_N], wd->oc, oh, ow};
    char rule[64];
    snprintf(rule, sizeof rule, "the forward conv of %s's shape", in_name);
    return check_dims(who, "dY", dy, want, rule);
}

sc_status sc_conv_bwd_check(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *dy,
                            const sc_tensor *dx)
{
    static const char who[] = "backward data";
    int64_t ic = 0;  /* set by the check; zeroed for -Wmaybe-uninitialized */
    sc_status st = check_weights(who, p, wd, &ic);
    if (st != SC_OK) return st;
    if ((st = sc_tensor_check(dy, 0, "backward data: dY")) != SC_OK) return st;
    if ((st = sc_tensor_check(dx, 1, "backward data: dX")) != SC_OK) return st;
    return check_forward_out(who, p, wd, ic, dx, "dX", dy);
}

bool sc_out_pad_ok(int64_t out_pad, int64_t stride, int64_t dil)
{
    return out_pad >= 0 && (out_pad < stride || out_pad < dil);
}

/* One axis of the transposed output: (in-1)*s - pad_a - pad_b + dil*(k-1) + out_pad + 1. */
static sc_status axis_out(const char *axis, int64_t in, int64_t k, int64_t s, int64_t pad_a,
                          int64_t pad_b, int64_t dil, int64_t out_pad, int64_t *out)
{
    const int64_t lim = (int64_t)1 << 40;
    if (in < 1 || in > lim || k < 1 || k > lim)
        return sc_fail(SC_EINVAL, "conv transpose: %s: input %lld, kernel %lld: both must be in "
                       "[1, 2^40]", axis, (long long)in, (long long)k);
    if (!sc_out_pad_ok(out_pad, s, dil))
        return sc_fail(SC_EINVAL, "conv transpose: %s: output padding %lld must be >= 0 and "
                       "below the stride (%lld) or the dilation (%lld)", axis, (long long)out_pad,
                       (long long)s, (long long)dil);
    int64_t a, b;
    if (sc_mul_ovf(in - 1, s, &a) || sc_mul_ovf(dil, k - 1, &b) || sc_add_ovf(a, b, &a) ||
        sc_add_ovf(a, out_pad + 1, &a))
        return sc_fail(SC_EOVERFLOW, "conv transpose: %s: the output extent overflows", axis);
    a -= pad_a + pad_b;  /* pads <= 2^40 each: no overflow */
    if (a < 1)
        return sc_fail(SC_EINVAL, "conv transpose: %s: padding %lld + %lld crops the whole "
                       "output (%lld before cropping)", axis, (long long)pad_a,
                       (long long)pad_b, (long long)(a + pad_a + pad_b));
    *out = a;
    return SC_OK;
}

sc_status sc_conv_transpose_output_hw(const sc_conv_transpose_params *p, int64_t kh, int64_t kw,
                                      int64_t h, int64_t w, int64_t *oh, int64_t *ow)
{
    if (!p || !oh || !ow) return sc_fail(SC_EINVAL, "conv transpose: NULL argument");
    const sc_conv_params fp = sc_conv_transpose_forward_params(p);
    sc_status st = sc_conv_params_check(&fp);
    int64_t a = 0, b = 0;
    if (st == SC_OK)
        st = axis_out("height", h, kh, p->stride_h, p->pad_top, p->pad_bottom, p->dil_h,
                      p->out_pad_h, &a);
    if (st == SC_OK)
        st = axis_out("width", w, kw, p->stride_w, p->pad_left, p->pad_right, p->dil_w,
                      p->out_pad_w, &b);
    if (st == SC_OK) {
        *oh = a;
        *ow = b;
    }
    return st;
}

sc_status sc_conv_transpose_check(const sc_conv_transpose_params *p, const sc_wdesc *wd,
                                  const sc_tensor *x, const sc_tensor *y)
{
    static const char who[] = "conv transpose";
    if (!p) return sc_fail(SC_EINVAL, "%s: params are NULL", who);
    const sc_conv_params fp = sc_conv_transpose_forward_params(p);
    int64_t oc = 0, oh = 0, ow = 0;  /* set by the checks; zeroed for -Wmaybe-uninitialized */
    sc_status st = check_weights(who, &fp, wd, &oc);
    if (st != SC_OK) return st;
    if ((st = sc_tensor_check(x, 0, "conv transpose: input")) != SC_OK) return st;
    if ((st = sc_tensor_check(y, 1, "conv transpose: output")) != SC_OK) return st;
    if (x->dims[SC_C] != wd->oc)
        return sc_fail(SC_EINVAL, "%s: input has %lld channels, the weights (Cin, Cout/groups, "
                       "KH, KW) = (%lld, %lld, %lld, %lld) expect %lld", who,
                       (long long)x->dims[SC_C], (long long)wd->oc, (long long)wd->icg,
                       (long long)wd->kh, (long long)wd->kw, (long long)wd->oc);
    if ((st = sc_conv_transpose_output_hw(p, wd->kh, wd->kw, x->dims[SC_H], x->dims[SC_W], &oh,
                                          &ow)) != SC_OK)
        return st;
    const int64_t want[4] = {x->dims[SC_N], oc, oh, ow};
    return check_dims(who, "the output", y, want, "the transposed conv of the input");
}

sc_status sc_conv_wgrad_check(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *x,
                              const sc_tensor *dy)
{
    static const char who[] = "weight gradient";
    int64_t ic = 0;  /* set by the check; zeroed for -Wmaybe-uninitialized */
    sc_status st = check_weights(who, p, wd, &ic);
    if (st != SC_OK) return st;
    if ((st = sc_tensor_check(x, 0, "weight gradient: x")) != SC_OK) return st;
    if ((st = sc_tensor_check(dy, 0, "weight gradient: dY")) != SC_OK) return st;
    return check_forward_out(who, p, wd, ic, x, "x", dy);
}
