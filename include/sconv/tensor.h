/* include/sconv/tensor.h: 4-D activation descriptors with element strides */
#ifndef SCONV_TENSOR_H
#define SCONV_TENSOR_H

#include "sconv/base.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SC_N = 0, SC_C = 1, SC_H = 2, SC_W = 3 };

/* An activation is a view (n, c, h, w) of floats: element (n,c,h,w) lives at
 * base + n*strides[SC_N] + c*strides[SC_C] + h*strides[SC_H] + w*strides[SC_W].
 * NCHW and NHWC are two constructors; slices and padded buffers are other strides. */
typedef struct sc_tensor {
    int64_t dims[4];     /* extents, indexed by SC_N .. SC_W */
    int64_t strides[4];  /* distance to the next index, in elements (>= 0) */
} sc_tensor;

/* Dense NCHW: strides (C*H*W, H*W, W, 1). The constructors never overflow: a stride whose
 * product does not fit int64 (or has a negative factor) is INT64_MAX, and sc_tensor_check
 * then refuses the view (SC_EOVERFLOW; SC_EINVAL for an extent below 1). */
SC_API sc_tensor sc_tensor_nchw(int64_t n, int64_t c, int64_t h, int64_t w);
/* Dense NHWC (PyTorch "channels_last", TensorFlow default): strides (H*W*C, 1, W*C, C). */
SC_API sc_tensor sc_tensor_nhwc(int64_t n, int64_t c, int64_t h, int64_t w);
/* Channels [c0, c0+nc) of t, sharing t's memory (the caller offsets the base pointer
 * by sc_tensor_slice_offset). Out-of-range requests and a NULL t give dims of 0, which the
 * checker rejects. */
SC_API sc_tensor sc_tensor_slice_c(const sc_tensor *t, int64_t c0, int64_t nc);
/* Element offset of (n, c, h, w), or -1 for a NULL t or when it does not fit int64 (never
 * for indices inside the extents of a checked descriptor). */
SC_API int64_t sc_tensor_offset(const sc_tensor *t, int64_t n, int64_t c, int64_t h, int64_t w);

/* Validate a descriptor: every extent >= 1, every stride >= 0, the highest
 * addressed element fits int64 and size_t. With for_write != 0 the view must not
 * alias (no two indices share an element): strides, sorted, each at least the span
 * of the smaller ones. Returns SC_EINVAL or SC_EOVERFLOW with a message naming `what`
 * ("tensor" when NULL). */
SC_API sc_status sc_tensor_check(const sc_tensor *t, int for_write, const char *what);

/* Number of elements between the first and one past the last addressed element:
 * the buffer length a view needs; 0 for NULL; -1 when an extent is below 1, a stride
 * negative or the span does not fit int64 (never for a checked descriptor). */
SC_API int64_t sc_tensor_span(const sc_tensor *t);
/* Product of the extents; 0 for NULL; -1 when one is negative or the product does not fit
 * int64. */
SC_API int64_t sc_tensor_numel(const sc_tensor *t);

/* Copy src into dst element by element; the two descriptors must have equal dims,
 * may differ in strides (NCHW -> NHWC, slice -> dense, ...). The buffers must not overlap. */
SC_API sc_status sc_tensor_copy(const sc_tensor *src_desc, const float *src,
                         const sc_tensor *dst_desc, float *dst);

#ifdef __cplusplus
}
#endif
#endif
