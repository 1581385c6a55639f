/* src/dense/dense_plan.h: the fast dense engine: a plan built from weights + params + descriptors + options, a run on it, a clear */
#ifndef SC_DENSE_PLAN_H
#define SC_DENSE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/epilogue.h"
#include "core/scratch.h"
#include "sconv/dense.h"
#include "sconv/layer.h"

typedef struct sc_onednn_plan sc_onednn_plan;  /* dense/onednn.c */

/* What a dense plan needs besides the weights, the params and the descriptors. */
typedef struct sc_dense_options {
    const float *bias;       /* oc values, or NULL; borrowed by the plan */
    sc_activation act;
    int threads;             /* 0..SC_THREADS_MAX; 0: OpenMP's default at run time */
    int accumulate;          /* 1: y = act(conv(x) + bias + y) */
} sc_dense_options;

/* A matrix operand of one gemm, element (k, j) (k = reduction index) at
 *   a[k*ld + j] when k_rows, else a[j*ld + k];
 * goff is the element offset between consecutive groups (weights only). */
typedef struct sc_dense_mat {
    const float *a;
    int64_t ld;
    bool k_rows;
    int64_t goff;
} sc_dense_mat;

/* The dense plan: oneDNN's matmul for 1x1 products on channel planes, or its convolution
 * primitive where it has a direct kernel, on the caller's strides or between reorders to its
 * blocked layout (onednn set), else im2col + OpenBLAS sgemm (or the depthwise loops) planned
 * as follows: shapes, the packing and output choices made from the strides, the tile size
 * and the weight operand, all from the layer and the descriptors, never from the thread
 * count (so every thread count computes the same gemms). */
typedef struct sc_dense_plan {
    sc_conv_params p;
    int64_t nb, ic, ih, iw;        /* input extents */
    int64_t oc, oh, ow;            /* output extents */
    int64_t icg, ocg, kh, kw;
    int64_t kdim;                  /* icg*kh*kw: the gemm's reduction length */
    int64_t npix;                  /* oh*ow: output pixels per image */
    int64_t xs[4], ys[4];          /* element strides of x and y */
    bool hwc_order;                /* reduction index k = (kh, kw, c), else (c, kh, kw) */
    bool direct_in;                /* x is the gemm operand (1x1, stride 1, no padding) */
    sc_dense_mat xin;              /* direct_in: x of image 0, group 0, pixel 0 */
    int64_t x_pix;                 /* direct_in: element distance between pixels */
    bool out_pc;                   /* gemm output is pixels x channels, else channels x pixels */
    bool direct_out;               /* the gemm writes y in place (pixel-linear y) */
    int64_t y_ld;                  /* direct_out: ldc */
    int64_t y_pix;                 /* direct_out: element distance between output pixels */
    int64_t tile;                  /* output pixels per work item */
    int64_t ntiles;                /* tiles per image: ceil(npix / tile) */
    int64_t ocb;                   /* output channels (of a group) per work item */
    int64_t n_ocb;                 /* channel blocks per group: ceil(ocg / ocb) */
    sc_dense_mat wmat;             /* weights: element (k, o) of group g at goff*g */
    const float *bias;             /* borrowed, or NULL */
    sc_epilogue ep;
    bool needs_epilogue;           /* bias or activation present */
    bool accumulate;               /* y's old values are added before the activation */
    bool depthwise;                /* one input channel per group: direct loops */
    int threads;                   /* 0: OpenMP's default at run time */
    float *owned_w;                /* converted weights (or depthwise tap-major ones), or NULL */
    float *unpacked_w;             /* a layer's OIHW weights (sc_dense_plan_build_layer), or NULL */
    sc_scratch_slot *scratch;      /* the runs' idle per-thread buffers, freed by the clear */
    sc_onednn_plan *onednn;        /* oneDNN's primitive and weights, or NULL: im2col */
    char kernel[64];               /* "dense_onednn:[matmul:]<impl>[+reorder]" or
                                      "dense_im2col_sgemm" */
} sc_dense_plan;

/* Validate (as sc_conv_dense does, without the buffers x and y) and plan y = act(conv(x) +
 * bias) for weights w (layout wd, borrowed: they must outlive the plan unless the plan
 * converts them). Leaves *pl cleared on failure. */
sc_status sc_dense_plan_build(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                              const sc_tensor *xd, const sc_tensor *yd,
                              const sc_dense_options *o, sc_dense_plan *pl);

/* The same for a packed layer: its weights are unpacked once (OIHW) into the plan. The
 * layer's own bias is not read: pass it in o->bias. */
sc_status sc_dense_plan_build_layer(const sc_layer *L, const sc_tensor *xd,
                                    const sc_tensor *yd, const sc_dense_options *o,
                                    sc_dense_plan *pl);

/* y = act(conv(x) + bias [+ y with accumulate]) through the planned descriptors (pointers
 * checked by the caller). Concurrent runs on one plan are safe. im2col: bitwise the same for every thread count;
 * oneDNN: see docs/kernels.md, "The dense engine". */
sc_status sc_dense_run(const sc_dense_plan *pl, const float *x, float *y);

/* Free what the plan owns and zero it (a zeroed plan is fine). */
void sc_dense_plan_clear(sc_dense_plan *pl);

/* Whether the dense engine will run this layer on x and y as oneDNN matmuls without
 * activation reorders (onednn_matmul.c: a 1x1 product on channel planes of enough pixels,
 * where oneDNN has brgemm kernels): the auto rule's break-evens depend on it. */
bool sc_dense_matmul_expected(const sc_conv_params *p, const sc_wdesc *wd, const sc_tensor *x,
                              const sc_tensor *y);

#endif
