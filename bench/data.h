/* bench/data.h: inputs of a benchmark point: random data, pruning, packing, error measure */
#ifndef SCB_DATA_H
#define SCB_DATA_H

#include "bench.h"

/* n N(0,1) floats from a fixed seed. */
void scb_fill_normal(float *v, size_t n, uint64_t seed);
/* A seed from the shape's dimensions and a salt (weights, inputs). */
uint64_t scb_shape_seed(const scb_shape *s, uint64_t salt);
sc_conv_params scb_shape_params(const scb_shape *s);

/* The pruning spec of --method at an amount, with block/N:M patterns following the pack
 * order of the layout (nchw -> chw, nhwc -> hwc). 0, or -1 with a message on stderr. */
int scb_method_spec(const char *method, double amount, scb_layout layout, int64_t groups,
                    sc_prune_spec *spec);

/* Prune w_full (OIHW) by method/amount into mask and w_pruned (zeros included), and pack
 * w_pruned in the order matching layout. 0, or -1 with a message on stderr. */
int scb_prune_pack(const scb_shape *s, const char *method, double amount, scb_layout layout,
                   const float *w_full, float *w_pruned, uint8_t *mask, sc_layer **layer);

/* max |y - ref| / max |ref|; y through its descriptor, ref dense NCHW with y's dims. */
double scb_max_rel_err(const sc_tensor *yd, const float *y, const float *ref_nchw);

#endif
