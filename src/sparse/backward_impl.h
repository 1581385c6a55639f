/* src/sparse/backward_impl.h: the transposed-convolution engine shared by backward data and conv_transpose */
#ifndef SC_BACKWARD_IMPL_H
#define SC_BACKWARD_IMPL_H

#include "core/core.h"
#include "sconv/backward.h"
#include "sparse/spmm_driver.h"
#include "sparse/ukernels/spmm.h"
#include "sparse/ukernels/transpose.h"

/* dX = act(conv^T(dY) + bias) for the forward conv p, written as a gather on phase planes.
 * For stride s, dX row ih lies in phase r = (ih + pad) % s at phase row a = (ih + pad) / s;
 * tap kh reaches it iff (kh*dil) % s == r, from dY row a - q(kh), q(kh) = (kh*dil) / s.
 * So each phase (rh, rw) of dX is a forward-style sparse conv of the zero-framed dY planes:
 *   dX_phase[c][a', b'] = sum_{(o,kh,kw) of phase, column (c,kh,kw) of W}
 *                         W[o,c,kh,kw] * dYp[o][a' + Qh - q(kh)][b' + Qw - q(kw)]
 * with a = a0 + a', Qh = max q, and dYp[o][t][u] = dY[o][t + lo_h][u + lo_w] (0 outside).
 * Flat pixel q = a'*wq + b' (columns b' >= B are computed and discarded), so every nonzero
 * is a fixed byte offset and the forward SpMM microkernels run unchanged: rows of the SpMM
 * are (phase, c), its reduction is over the CSC column entries (o, kh, kw). */
/* What a transposed plan needs besides the layer, the forward params and the descriptors. */
typedef struct sc_tconv_options {
    sc_cpu_set allowed;      /* CPU features the kernels may use (checked by the caller) */
    int threads;             /* 0: OpenMP's default at run time */
    sc_spmm_params act;      /* fused activation */
    const float *bias;       /* IC values (the engine's output channels), or NULL */
} sc_tconv_options;

/* The transposed plan: the SpMM problem d for the shared driver (spmm_driver.h), whose rows
 * are (phase, c) over the used phases only (those holding dX pixels: at most
 * min(stride, extent) per axis, so plan and run grow with dX, not with the stride), and
 * what its packer and phase-strided store need. */
typedef struct sc_tconv_plan {
    sc_spmm_problem d;       /* what the driver runs: row r = phase*IC + c */
    const sc_layer *layer;   /* borrowed: must outlive the plan */
    sc_conv_params p;        /* the forward conv being transposed */
    sc_tensor in, out;       /* dY-like input (N, OC, OH, OW), dX-like output (N, IC, H, W) */
    int64_t n_phase;         /* used phases: n_phase_h * n_phase_w */
    int64_t n_phase_h, n_phase_w;
    int64_t *res_h, *res_w;  /* the used phases' residues (ih + pad) % stride, ascending */
    int64_t a0, b0;          /* first phase row / column */
    int64_t A, B;            /* phase rows / columns computed */
    int64_t qh, qw;          /* largest tap shift in phase rows / columns */
    int64_t hq;              /* dY plane rows: A + qh (columns: d.wq = B + qw) */
    int64_t lo_h, lo_w;      /* dY row / column of plane row / column 0 */
    int64_t ch_floats;       /* distance between dY channel planes (packed, in place, or
                              * tile_floats in a panel) */
    int64_t cb_ch;           /* dY channels per reduction block */
    sc_transpose8_fn tr;     /* 8x8 transposes for channel-contiguous dY and dX (NHWC) */
} sc_tconv_plan;

/* Build the plan of layer L (forward params p) for in -> out (descriptors already validated
 * against L and p); leaves *tp cleared on failure. */
sc_status sc_tconv_plan_build(const sc_layer *L, const sc_conv_params *p, const sc_tensor *in,
                              const sc_tensor *out, const sc_tconv_options *o,
                              sc_tconv_plan *tp);

/* Free the plan arrays and zero the plan. */
void sc_tconv_plan_clear(sc_tconv_plan *tp);

/* The transposed packer (dY into zero-framed planes), panel gather and phase-strided store
 * as the driver's hooks (ctx: the plan; backward_run.c). */
void sc_tconv_pack_hook(const void *ctx, const float *x, int64_t c0, int64_t c1, float *dst);
void sc_tconv_gather_hook(const void *ctx, const float *x, int64_t q0, int64_t m, float *panel);
void sc_tconv_store_hook(const void *ctx, const float *buf, int64_t q0, int64_t m, int64_t r0,
                         int64_t nb, float *y);

/* Run a plan: out = act(conv^T(in) + bias) (pointers checked by the caller). */
sc_status sc_tconv_run(const sc_tconv_plan *tp, const float *in, float *out);

/* dst[t][u] = src[t*step_h + lo_h][u*step_w + lo_w] (0 outside [0,H) x [0,W)) for t < hq,
 * u < wq and channels [c0, c1) of an image (src at its (n, 0, 0, 0), strides sC, sH, sW);
 * channel c's plane starts at dst + c*ch_floats. Channel-contiguous sources (NHWC) are
 * transposed by 8 x 8 blocks with tr, the rest element by element. */
void sc_backward_pack_planes(const float *src, int64_t sC, int64_t sH, int64_t sW, int64_t H,
                             int64_t W, int64_t c0, int64_t c1, int64_t step_h, int64_t step_w,
                             int64_t lo_h, int64_t lo_w, int64_t hq, int64_t wq,
                             int64_t ch_floats, sc_transpose8_fn tr, float *dst);

#endif
