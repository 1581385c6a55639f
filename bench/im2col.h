/* bench/im2col.h: input lowering shared by the OpenBLAS and CSparse peers */
#ifndef SCB_IM2COL_H
#define SCB_IM2COL_H

#include "bench.h"

/* 1x1, stride 1, no padding: the input already is the lowered matrix. */
int scb_is_pointwise(const scb_shape *s);

/* NCHW input, image n, group g -> col (icg*KH*KW rows x OH*OW columns), k in CHW order. */
void scb_im2col_chw(const scb_point *pt, int64_t n, int64_t g, float *col);
/* NHWC input, image n, group g -> col (OH*OW rows x KH*KW*icg columns), k in HWC order. */
void scb_im2col_hwc(const scb_point *pt, int64_t n, int64_t g, float *col);

#endif
