/* include/sconv/pack_order.h: the order of the reduction index k in packed layers and pruning patterns */
#ifndef SCONV_PACK_ORDER_H
#define SCONV_PACK_ORDER_H

#include "sconv/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Order of the reduction index k within a group's row, k over (icg, kh, kw):
 *   SC_PACK_CHW  k = (c*KH + kh)*KW + kw   suits NCHW activations ("--pack nchw")
 *   SC_PACK_HWC  k = (kh*KW + kw)*ICG + c  suits NHWC activations ("--pack nhwc") */
typedef enum sc_pack_order { SC_PACK_CHW = 0, SC_PACK_HWC = 1 } sc_pack_order;

/* "chw" / "hwc"; NULL for an unknown value. */
SC_API const char *sc_pack_order_name(sc_pack_order order);
/* Accepts "chw", "nchw", "hwc", "nhwc" (case-insensitive). */
SC_API sc_status sc_pack_order_parse(const char *name, sc_pack_order *out);

#ifdef __cplusplus
}
#endif
#endif
