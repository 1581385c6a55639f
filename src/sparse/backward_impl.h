/* src/sparse/backward_impl.h: the transposed-convolution engine shared by backward data and conv_transpose */
#ifndef SC_BACKWARD_IMPL_H
#define SC_BACKWARD_IMPL_H

#include "sconv/backward.h"
#include "sparse/run_gate.h"
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
typedef struct sc_tconv_plan {
    int64_t n_phase;         /* sh * sw: every phase, used or not (unused: bias only) */
    int64_t a0, b0;          /* first phase row / column */
    int64_t A, B;            /* phase rows / columns computed */
    int64_t qh, qw;          /* largest tap shift in phase rows / columns */
    int64_t hq, wq;          /* dY plane extents: A + qh, B + qw */
    int64_t lo_h, lo_w;      /* dY row / column of plane row / column 0 */
    int in_place;            /* 1: dY's own planes are read (pointwise, unit-stride rows) */
    int panel;               /* 1: pointwise but not in place (e.g. NHWC): each 64-pixel tile
                              * of dY is gathered into a channel-major panel, row o at o*64 */
    int64_t ch_floats;       /* distance between dY channel planes (packed, in place, or 64
                              * in a panel) */
    int64_t image_floats;    /* packed dY floats per image (0 in place) */
    int64_t pixels, n_tiles; /* flat pixels (A-1)*wq + B, and 64-pixel tiles */
    int64_t n_rows;          /* n_phase * IC: SpMM row r = phase*IC + c */
    int64_t n_cb, cb_ch;     /* reduction blocks over dY channels */
    int direct;              /* 1: tiles are stored straight into dX (one phase, no garbage) */
    float *w;                /* n_cb * (n_rows + nnz): per (cb, r) bias-or-0 then values */
    int32_t *off_bytes;      /* nnz offsets, relative to the block's first dY channel */
    uint32_t *nnz;           /* n_cb * n_rows counts */
    int64_t *w_start;        /* n_cb * n_rows stream starts in w */
    int64_t *off_start;      /* n_cb * n_rows starts in off_bytes */
    sc_spmm_kit kit;         /* the chain kernels only: tiles are cut at 64 pixels */
    sc_transpose8_fn tr;     /* 8x8 transposes for channel-contiguous dY and dX (NHWC) */
} sc_tconv_plan;

typedef struct sc_tconv {
    const sc_layer *layer;
    sc_conv_params p;        /* the forward conv being transposed */
    float *bias;             /* IC values (the engine's output channels), or NULL */
    sc_spmm_params act;      /* fused activation */
    int threads;
    sc_kernel_choice kernel;
    int planned;
    sc_tensor in, out;       /* dY-like input (N, OC, OH, OW), dX-like output (N, IC, H, W) */
    sc_tconv_plan tp;
    const char *kernel_name;
    char reason[256];
    sc_run_gate gate;        /* runs in flight, or a plan: one excludes the other */
} sc_tconv;

struct sc_conv_bwd { sc_tconv t; };
struct sc_conv_transpose { sc_tconv t; sc_conv_transpose_params p; };

/* Check a kernel choice against the CPU; SC_EUNSUPPORTED for AVX2 without it. */
sc_status sc_tconv_check_kernel(const char *who, sc_kernel_choice k);

/* Build the plan for in -> out (descriptors already validated against t->layer, t->p);
 * on success replaces t's plan and marks it planned; on failure t is unchanged. */
sc_status sc_tconv_plan_build(sc_tconv *t, const sc_tensor *in, const sc_tensor *out);

/* Free the plan arrays and zero the plan. */
void sc_tconv_plan_clear(sc_tconv_plan *tp);

/* Run a planned engine: out = act(conv^T(in) + bias). */
sc_status sc_tconv_run(const sc_tconv *t, const float *in, float *out);

/* dst[t][u] = src[t*step_h + lo_h][u*step_w + lo_w] (0 outside [0,H) x [0,W)) for t < hq,
 * u < wq and channels [c0, c1) of an image (src at its (n, 0, 0, 0), strides sC, sH, sW);
 * channel c's plane starts at dst + c*ch_floats. Channel-contiguous sources (NHWC) are
 * transposed by 8 x 8 blocks with tr, the rest element by element. */
void sc_backward_pack_planes(const float *src, int64_t sC, int64_t sH, int64_t sW, int64_t H,
                             int64_t W, int64_t c0, int64_t c1, int64_t step_h, int64_t step_w,
                             int64_t lo_h, int64_t lo_w, int64_t hq, int64_t wq,
                             int64_t ch_floats, sc_transpose8_fn tr, float *dst);

#endif
