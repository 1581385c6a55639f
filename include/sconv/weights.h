/* include/sconv/weights.h: convolution weight layouts (OIHW, OHWI, HWIO) and conversion */
#ifndef SCONV_WEIGHTS_H
#define SCONV_WEIGHTS_H

#include "sconv/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layouts trained weights come in, always dense and C-ordered:
 *   OIHW  PyTorch, ONNX                   shape (O, I, KH, KW)
 *   OHWI  "channels_last" weights          shape (O, KH, KW, I)
 *   HWIO  TensorFlow / Keras Conv2D       shape (KH, KW, I, O)
 * I is the input channels per group, as in every framework. */
typedef enum sc_wlayout { SC_OIHW = 0, SC_OHWI = 1, SC_HWIO = 2 } sc_wlayout;

typedef struct sc_wdesc {
    sc_wlayout layout;
    int64_t oc;   /* output channels (O) */
    int64_t icg;  /* input channels per group (I) */
    int64_t kh;   /* kernel height */
    int64_t kw;   /* kernel width */
} sc_wdesc;

/* "oihw", "ohwi", "hwio"; NULL for an unknown value. */
SC_API const char *sc_wlayout_name(sc_wlayout layout);
/* Parse a name (case-insensitive); SC_EINVAL on anything else. */
SC_API sc_status sc_wlayout_parse(const char *name, sc_wlayout *out);

/* The 4-D shape of the weight tensor in its layout, e.g. HWIO -> (kh, kw, icg, oc); zeros
 * for a NULL wd or an unknown layout; nothing is written when shape is NULL. */
SC_API void sc_wdesc_shape(const sc_wdesc *wd, int64_t shape[4]);
/* Build a descriptor from a layout and a 4-D shape read from a file; checks extents >= 1
 * and that the element count fits. */
SC_API sc_status sc_wdesc_from_shape(sc_wlayout layout, const int64_t shape[4], sc_wdesc *out);
/* Validate extents (>= 1) and the element count (no overflow). */
SC_API sc_status sc_wdesc_check(const sc_wdesc *wd);
/* oc * icg * kh * kw; 0 for NULL; -1 when an extent is negative or the count overflows
 * (never for a checked descriptor). */
SC_API int64_t sc_wdesc_numel(const sc_wdesc *wd);
/* Flat index, in wd's layout, of weight (o, i, h, w); -1 for a NULL wd or unknown layout. */
SC_API int64_t sc_wdesc_index(const sc_wdesc *wd, int64_t o, int64_t i, int64_t h, int64_t w);

/* The axis permutation taking a tensor in `from` to `to`, numpy.transpose style:
 * out.shape[d] = in.shape[perm[d]]. OIHW->HWIO (2,3,1,0), HWIO->OIHW (3,2,0,1),
 * OIHW->OHWI (0,2,3,1). Unknown layouts give the identity; a NULL perm is left alone. */
SC_API void sc_wlayout_perm(sc_wlayout from, sc_wlayout to, int perm[4]);

/* Convert weights described by wd into layout `to`, written densely to dst
 * (which must not overlap src). Exact: a permutation of the values. */
SC_API sc_status sc_weights_convert(const sc_wdesc *wd, const float *src, sc_wlayout to, float *dst);

#ifdef __cplusplus
}
#endif
#endif
