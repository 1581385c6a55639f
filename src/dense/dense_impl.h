/* src/dense/dense_impl.h: internal interface shared by the dense convolution files */
#ifndef SC_DENSE_IMPL_H
#define SC_DENSE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/epilogue.h"
#include "sconv/dense.h"

/* Validate one dense convolution call, as both sc_conv_reference and sc_conv_dense
 * document it: non-NULL w, x, y (bias may be NULL, act may be NULL), sc_conv_check,
 * sc_activation_check, and y's addressed range overlapping none of x, w, bias.
 * `who` names the caller in messages. */
sc_status sc_dense_validate(const char *who, const sc_conv_params *p, const sc_wdesc *wd,
                            const float *w, const float *bias, const sc_activation *act,
                            const sc_tensor *xd, const float *x, const sc_tensor *yd,
                            const float *y);

/* A matrix operand of one gemm, element (k, j) (k = reduction index) at
 *   a[k*ld + j] when k_rows, else a[j*ld + k];
 * goff is the element offset between consecutive groups (weights only). */
typedef struct sc_dense_mat {
    const float *a;
    int64_t ld;
    bool k_rows;
    int64_t goff;
} sc_dense_mat;

/* The plan of one sc_conv_dense call: shapes, the packing and output choices made from
 * the strides, and the tile size. Built by conv_dense.c; read by the helpers below. */
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
    const float *bias;
    sc_epilogue ep;
    bool needs_epilogue;           /* bias or activation present */
} sc_dense_plan;

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

/* y[n, g*ocg+o0+o, pixel p0+j] = act(src[o*s_o + j*s_p] + bias) for o < no, j < np,
 * written through y's descriptor. src may be the very elements of y (in place). */
void sc_dense_store(const sc_dense_plan *pl, const float *src, int64_t s_o, int64_t s_p,
                    int64_t n, int64_t g, int64_t o0, int64_t no, int64_t p0, int64_t np,
                    float *y);

/* Depthwise convolution (icg == 1, groups > 1) by direct loops, for a validated call whose
 * plan fields (shapes, strides, bias, ep) are set; threads as sc_conv_dense. */
sc_status sc_dense_depthwise(const sc_dense_plan *pl, const sc_wdesc *wd, const float *w,
                             const float *x, float *y, int threads);

/* Make OpenBLAS run each call on one thread (see blas_threads.c). */
void sc_dense_blas_single_thread(void);

#endif
