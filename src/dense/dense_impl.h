/* src/dense/dense_impl.h: internal interface shared by the dense convolution files */
#ifndef SC_DENSE_IMPL_H
#define SC_DENSE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dense/dense_plan.h"

/* Validate one dense convolution call, as both sc_conv_reference and sc_conv_dense
 * document it: non-NULL w, x, y (bias may be NULL, act may be NULL), sc_conv_check,
 * sc_activation_check, and y's addressed range overlapping none of x, w, bias.
 * `who` names the caller in messages. */
sc_status sc_dense_validate(const char *who, const sc_conv_params *p, const sc_wdesc *wd,
                            const float *w, const float *bias, const sc_activation *act,
                            const sc_tensor *xd, const float *x, const sc_tensor *yd,
                            const float *y);

/* The weight operand for the plan's reduction order: points into w when wd's layout
 * already is that matrix (OIHW with (c,kh,kw), OHWI with (kh,kw,c), HWIO with (kh,kw,c),
 * and every layout for 1x1 kernels); otherwise converts w once into *owned (oc x kdim,
 * allocated here, freed by the caller with sc_free). */
sc_status sc_dense_weight_operand(const sc_wdesc *wd, const float *w, int64_t groups,
                                  bool hwc_order, sc_dense_mat *out, float **owned);

/* Gather the receptive fields of output pixels [p0, p0+np) of one image and group into
 * buf: hwc_order gives np rows of kdim (k = (kh,kw,c)), else kdim rows of np
 * (k = (c,kh,kw)). xg points at channel 0 of the group in the image. Zeros for padding. */
void sc_dense_pack(const sc_dense_plan *pl, const float *xg, int64_t p0, int64_t np, float *buf);

/* y[n, g*ocg+o0+o, pixel p0+j] = act(src[o*s_o + j*s_p] (+ y's old value when add) +
 * bias) for o < no, j < np, written through y's descriptor. src may be the very elements
 * of y (in place, add false). */
void sc_dense_store(const sc_dense_plan *pl, const float *src, int64_t s_o, int64_t s_p,
                    int64_t n, int64_t g, int64_t o0, int64_t no, int64_t p0, int64_t np,
                    bool add, float *y);

/* Depthwise layers (icg == 1, groups > 1): the tap-major weights wt[tap*oc + o] = w(o, 0,
 * kh, kw), allocated here into *wt (freed by the caller with sc_free). */
sc_status sc_dense_depthwise_weights(const sc_dense_plan *pl, const sc_wdesc *wd,
                                     const float *w, float **wt);

/* Depthwise convolution by direct loops on a plan whose wmat.a holds the tap-major weights;
 * acc holds threads x acc_len floats (sc_dense_depthwise_layout). */
void sc_dense_depthwise(const sc_dense_plan *pl, const float *x, float *y, int threads,
                        float *acc);

/* The depthwise run's work items and floats of accumulator per thread. */
void sc_dense_depthwise_layout(const sc_dense_plan *pl, int64_t *items, int64_t *acc_len);

/* oneDNN's matmul blocks for a 1x1 product on channel planes (onednn_matmul.c, impl
 * "matmul:<name>"), else its convolution primitive for the plan's problem (pl's shapes, strides, params, bias, threads set)
 * with the weights w (layout wd) reordered into its format, on x and y's strides or, when
 * oneDNN has a direct kernel only for its blocked layout, between activation reorders: *out
 * on SC_OK, its implementation name in impl (with "+reorder" in the second case). SC_EUNSUPPORTED (message set) when oneDNN does not take the problem or has
 * only its reference loops for it; SC_ENOMEM when memory runs out. */
sc_status sc_dense_onednn_build(const sc_dense_plan *pl, const sc_wdesc *wd, const float *w,
                                sc_onednn_plan **out, char *impl, size_t cap);

/* y = act(conv(x) + bias) by the plan's primitive (pl->onednn set). */
sc_status sc_dense_onednn_run(const sc_dense_plan *pl, const float *x, float *y);

/* Free a oneDNN plan (NULL is fine). */
void sc_dense_onednn_destroy(sc_onednn_plan *d);

/* y = clamp(y, ep.lo, ep.hi) through y's descriptor, on the plan's threads. */
void sc_dense_clamp(const sc_dense_plan *pl, float *y);

/* Make OpenBLAS run each call on one thread (see blas_threads.c). */
void sc_dense_blas_single_thread(void);

#endif
