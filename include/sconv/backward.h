/* include/sconv/backward.h: backward data (transposed convolution) and masked weight gradients */
#ifndef SCONV_BACKWARD_H
#define SCONV_BACKWARD_H

#include "sconv/conv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The forward convolution y = conv(x; W) (sconv/conv_params.h) is linear in x and in W.
 *   Backward data     dX = conv^T(dY; W): dX[n,c,ih,iw] = sum over (o, kh, kw) with
 *                     ih = oh*stride_h - pad_top + kh*dil_h, iw likewise, of
 *                     W[o, c - g*icg, kh, kw] * dY[n, o, oh, ow]   (g = o's group).
 *   Weight gradient   dW[o,i,kh,kw] = sum_{n,oh,ow} dY[n,o,oh,ow] * x[n, g*icg+i, ih, iw].
 * Backward data is the adjoint of the forward conv: <conv(x), dY> = <x, conv^T(dY)>; run
 * as a layer of its own it is the transposed convolution ("deconvolution") of decoders.
 * Layouts enter only through the descriptors: any NCHW/NHWC/strided pair works. */

/* ---- backward data: dX from dY, through the layer's transposed (CSC) form ---- */

typedef struct sc_conv_bwd_options {
    int threads;              /* OpenMP threads, 0..SC_THREADS_MAX; 0 = the OpenMP default */
    sc_kernel_choice kernel;  /* auto, portable C, or AVX2+FMA */
} sc_conv_bwd_options;

/* Default threads, auto kernel. */
SC_API sc_conv_bwd_options sc_conv_bwd_options_default(void);

typedef struct sc_conv_bwd sc_conv_bwd;

/* The backward-data and transposed-convolution operators follow sc_conv's threading rules
 * (sconv/conv.h): runs may overlap each other; a plan during a run, or a run during a
 * plan, returns SC_ESTATE and changes nothing; destroy after every other call returned. */

/* Check options and borrow the packed weights (the layer must outlive the operator); the
 * forward conv is the layer's own: its params (stride, padding, dilation, groups). */
SC_API sc_status sc_conv_bwd_create(const sc_layer *layer, const sc_conv_bwd_options *opt,
                             sc_conv_bwd **out);

/* Bind dY (read) and dX (written) descriptors. dX's dims are the forward input's
 * (N, icg*groups, H, W): they resolve the stride > 1 ambiguity (several H map to one OH).
 * The forward conv of that input must give dY's dims (N, oc, OH, OW) exactly; SC_EINVAL
 * naming both shapes otherwise. May be called again for a new shape. */
SC_API sc_status sc_conv_bwd_plan(sc_conv_bwd *op, const sc_tensor *dy, const sc_tensor *dx);

/* dX = conv^T(dY) through the planned descriptors: writes every element of dX's view
 * (zeros where no weight reaches) and nothing else; SC_EINVAL when dX's view shares a byte
 * with dY's or with the layer's packed arrays. Bitwise the same for any thread count;
 * safe to call concurrently on different buffers (scratch is allocated per call). */
SC_API sc_status sc_conv_bwd_run(const sc_conv_bwd *op, const float *dy, float *dx);

/* The kernel the last plan chose and why (engine is always SC_ENGINE_SPARSE). */
SC_API sc_status sc_conv_bwd_describe(const sc_conv_bwd *op, sc_conv_choice *out);

/* NULL is fine. */
SC_API void sc_conv_bwd_destroy(sc_conv_bwd *op);

/* ---- transposed convolution as an inference layer (PyTorch ConvTranspose2d) ---- */

/* sc_conv_transpose_params, its output extent and its forward params: sconv/conv_params.h. */

typedef struct sc_conv_transpose_options {
    sc_activation act;        /* fused after the bias */
    const float *bias;        /* Cout values, or NULL (no bias; a layer's bias has oc = Cin
                               * entries and is not used) */
    int threads;              /* OpenMP threads, 0..SC_THREADS_MAX; 0 = the OpenMP default */
    sc_kernel_choice kernel;
} sc_conv_transpose_options;

/* No activation, no bias, default threads, auto kernel. */
SC_API sc_conv_transpose_options sc_conv_transpose_options_default(void);

typedef struct sc_conv_transpose sc_conv_transpose;

/* Check params and options, borrow the layer (packed as described above; its own stride,
 * padding and dilation are not used, its groups must equal p->groups). */
SC_API sc_status sc_conv_transpose_create(const sc_layer *layer, const sc_conv_transpose_params *p,
                                   const sc_conv_transpose_options *opt,
                                   sc_conv_transpose **out);

/* Bind x (N, Cin, H, W) and y (N, Cout, OH, OW) with OH, OW from
 * sc_conv_transpose_output_hw. May be called again for a new shape. */
SC_API sc_status sc_conv_transpose_plan(sc_conv_transpose *op, const sc_tensor *x, const sc_tensor *y);

/* y = act(conv_transpose(x) + bias): writes every element of y's view and nothing else;
 * SC_EINVAL when y's view shares a byte with x's or with the layer's packed arrays. */
SC_API sc_status sc_conv_transpose_run(const sc_conv_transpose *op, const float *x, float *y);

SC_API sc_status sc_conv_transpose_describe(const sc_conv_transpose *op, sc_conv_choice *out);

/* NULL is fine. */
SC_API void sc_conv_transpose_destroy(sc_conv_transpose *op);

/* ---- masked weight gradient: dW at the layer's kept positions only ---- */

typedef struct sc_wgrad_options {
    int threads;              /* OpenMP threads, 0..SC_THREADS_MAX; 0 = the OpenMP default */
    sc_kernel_choice kernel;
} sc_wgrad_options;

/* Default threads, auto kernel. */
SC_API sc_wgrad_options sc_wgrad_options_default(void);

/* dw[j] = dL/dW at the layer's nonzero j (sampled dense-dense product): for nonzero (o, k)
 * with k = (i, kh, kw), the sum over the batch and the output pixels of
 * dY[n,o,oh,ow] * x[n, g*icg+i, oh*stride_h - pad_top + kh*dil_h, ...]. dw has the layer's
 * nnz entries, aligned with its packed values (sc_layer_get_csr's val), so a training loop
 * updates the pruned layer without densifying it. x (N, icg*groups, H, W) and dY (N, oc,
 * OH, OW) through descriptors, dims as the forward conv gives them. Deterministic: bitwise
 * the same for any thread count. dw is written only on success; SC_EINVAL when its nnz
 * floats share a byte with x's view, dY's view or the layer's packed arrays. */
SC_API sc_status sc_conv_wgrad(const sc_layer *layer, const sc_wgrad_options *opt,
                        const sc_tensor *xd, const float *x, const sc_tensor *dyd,
                        const float *dy, float *dw);

/* ---- dense references (src/dense/conv_backward_ref.c): direct loops in double ---- */

/* dX = conv^T(dY; w) for dense weights in any layout (the oracle of sc_conv_bwd_run).
 * dx dims = the forward input's; the forward conv of them must give dy's dims. */
SC_API sc_status sc_conv_bwd_data_reference(const sc_conv_params *p, const sc_wdesc *wd,
                                     const float *w, const sc_tensor *dyd, const float *dy,
                                     const sc_tensor *dxd, float *dx);

/* y = act(conv_transpose(x; w) + bias); wd describes the (Cin, Cout/groups, KH, KW) weights
 * as oc = Cin, icg = Cout/groups, in any layout. bias (Cout) and act may be NULL. */
SC_API sc_status sc_conv_transpose_reference(const sc_conv_transpose_params *p, const sc_wdesc *wd,
                                      const float *w, const float *bias,
                                      const sc_activation *act, const sc_tensor *xd,
                                      const float *x, const sc_tensor *yd, float *y);

/* Dense dW (every position) written in wd's layout (sc_wdesc_numel(wd) floats). */
SC_API sc_status sc_conv_wgrad_reference(const sc_conv_params *p, const sc_wdesc *wd,
                                  const sc_tensor *xd, const float *x, const sc_tensor *dyd,
                                  const float *dy, float *dw);

#ifdef __cplusplus
}
#endif
#endif
