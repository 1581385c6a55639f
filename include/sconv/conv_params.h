/* include/sconv/conv_params.h: convolution parameters, fused activation, shape rules */
#ifndef SCONV_CONV_PARAMS_H
#define SCONV_CONV_PARAMS_H

#include "sconv/tensor.h"
#include "sconv/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cross-correlation, as PyTorch and TensorFlow define conv2d:
 *   y[n,o,oh,ow] = bias[o] + sum_{i,kh,kw} w[o,i,kh,kw] *
 *                  x[n, g*icg + i, oh*stride_h - pad_top + kh*dil_h, ow*stride_w - pad_left + kw*dil_w]
 * with g = o / (oc/groups) and x taken as 0 outside the input. */
typedef struct sc_conv_params {
    int64_t stride_h, stride_w;                       /* in [1, 2^40] */
    int64_t pad_top, pad_left, pad_bottom, pad_right; /* in [0, 2^40] */
    int64_t dil_h, dil_w;                             /* in [1, 2^40] */
    int64_t groups;                                   /* in [1, 2^40], divides both channel
                                                       * counts */
} sc_conv_params;

/* Stride 1, no padding, dilation 1, one group. */
SC_API sc_conv_params sc_conv_params_default(void);

/* Check the parameters alone (ranges, and that a padded extent cannot overflow). */
SC_API sc_status sc_conv_params_check(const sc_conv_params *p);

/* Output height and width for an input of h x w: floor((h + pads - dil*(k-1) - 1)/stride) + 1.
 * Validates p, the kernel against the padded input (it must fit at least once), overflow. */
SC_API sc_status sc_conv_output_hw(const sc_conv_params *p, int64_t kh, int64_t kw, int64_t h,
                            int64_t w, int64_t *oh, int64_t *ow);

/* Validate a whole convolution: parameters, weight descriptor, x (read) and y (write)
 * descriptors; x.c == icg*groups, groups divides oc, y dims == (x.n, oc, oh, ow). */
SC_API sc_status sc_conv_check(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *x,
                        const sc_tensor *y);

/* ---- transposed convolution and the backward shape rules (src/core/conv_shapes.c), shared
 * by the sparse operators (sconv/backward.h) and the dense references ---- */

/* y = act(conv_transpose(x) + bias):
 *   y[n,c,oh,ow] = bias[c] + sum W[i, c - g*cog, kh, kw] * x[n, i, ih, iw] over the
 *   (i in group g, kh, kw, ih, iw) with oh = ih*stride_h - pad_top + kh*dil_h, ow likewise;
 * weight shape (Cin, Cout/groups, KH, KW), as torch.nn.ConvTranspose2d stores it: pack it as
 * an OIHW layer with oc = Cin and icg = Cout/groups (sc_layer_pack), layer groups = groups.
 * Output extent: (in-1)*stride - pad_a - pad_b + dil*(k-1) + output_padding + 1. */
typedef struct sc_conv_transpose_params {
    int64_t stride_h, stride_w;                       /* >= 1 */
    int64_t pad_top, pad_left, pad_bottom, pad_right; /* >= 0: cropped from the full output */
    int64_t out_pad_h, out_pad_w;                     /* 0 <= out_pad < max(stride, dil) */
    int64_t dil_h, dil_w;                             /* >= 1 */
    int64_t groups;                                   /* >= 1 */
} sc_conv_transpose_params;

/* Stride 1, no padding, no output padding, dilation 1, one group. */
SC_API sc_conv_transpose_params sc_conv_transpose_params_default(void);

/* Output height and width for an input of h x w and a kh x kw kernel; SC_EINVAL when a
 * parameter breaks its range or the output would be empty. */
SC_API sc_status sc_conv_transpose_output_hw(const sc_conv_transpose_params *p, int64_t kh, int64_t kw,
                                      int64_t h, int64_t w, int64_t *oh, int64_t *ow);

/* The forward conv this one transposes: the same stride, padding, dilation and groups
 * (all zero, which sc_conv_params_check refuses, for a NULL p). */
SC_API sc_conv_params sc_conv_transpose_forward_params(const sc_conv_transpose_params *p);

/* Validate a backward-data call: params, weights, dy (read) and dx (written, no aliasing)
 * descriptors; dx.c == icg*groups, groups divides oc, and the forward conv of dx's dims
 * gives dy's dims (N, oc, OH, OW). */
SC_API sc_status sc_conv_bwd_check(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *dy,
                            const sc_tensor *dx);

/* Validate a transposed convolution: params (output padding below max(stride, dilation)),
 * weights (oc = Cin, icg = Cout/groups), x (read) and y (written) descriptors with
 * x.c == oc, y.c == icg*groups and y's extent from sc_conv_transpose_output_hw. */
SC_API sc_status sc_conv_transpose_check(const sc_conv_transpose_params *p, const sc_wdesc *wd,
                                  const sc_tensor *x, const sc_tensor *y);

/* Validate a weight-gradient call: the forward conv x -> dy (sc_conv_check, with dy only
 * read). */
SC_API sc_status sc_conv_wgrad_check(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *x,
                              const sc_tensor *dy);

/* Fused activation applied after the bias. */
typedef enum sc_act_kind {
    SC_ACT_NONE = 0,
    SC_ACT_RELU,   /* max(v, 0) */
    SC_ACT_RELU6,  /* min(max(v, 0), 6) */
    SC_ACT_CLAMP   /* min(max(v, lo), hi), lo <= hi */
} sc_act_kind;

typedef struct sc_activation {
    sc_act_kind kind;
    float lo, hi;  /* used by SC_ACT_CLAMP only */
} sc_activation;

SC_API sc_activation sc_activation_none(void);
SC_API sc_activation sc_activation_relu(void);
SC_API sc_activation sc_activation_relu6(void);
SC_API sc_activation sc_activation_clamp(float lo, float hi);
/* Known kind, and for clamp lo <= hi with neither NaN. */
SC_API sc_status sc_activation_check(const sc_activation *act);
/* "none", "relu", "relu6", "clamp". */
SC_API const char *sc_activation_name(sc_act_kind kind);

#ifdef __cplusplus
}
#endif
#endif
