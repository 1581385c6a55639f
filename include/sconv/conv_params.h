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
