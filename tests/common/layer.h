/* tests/common/layer.h: packed layers for the tests: pack with options, random pruned weights */
#ifndef TESTS_COMMON_LAYER_H
#define TESTS_COMMON_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rng.h"
#include "sconv.h"

/* A layer to build; zero fields mean the defaults, so designated initializers read well. */
typedef struct ct_layer_spec {
    sc_wdesc wd;                   /* shape and layout of the dense weights */
    const sc_conv_params *params;  /* NULL: sc_conv_params_default() */
    sc_pack_order order;
    const float *bias;             /* oc values packed with the layer, or NULL */
    const char *name, *method, *method_params;  /* recorded in the layer; NULL: the defaults */
    const char *what;              /* names the case in a failure message; NULL: "layer" */
    /* ct_random_weights / ct_random_layer only: */
    double sparsity;               /* each weight is pruned with this probability */
    double w_max;                  /* weights uniform in [-w_max, w_max); 0 means 1 */
    bool masks_after_weights;      /* draw every weight, then every mask (else both in turn) */
    int64_t block;                 /* > 1: runs of this many output channels share the mask of
                                      their first one (block-sparse rows) */
    float *draw_bias;              /* ct_random_layer: oc values uniform in [-0.5, 0.5), drawn
                                      after the weights and packed (overrides .bias) */
    float *pruned;                 /* numel floats: the pruned dense copy, or NULL */
} ct_layer_spec;

/* Pack w (mask NULL keeps every nonzero) as s says; asserts success. */
sc_layer *ct_pack(const ct_layer_spec *s, const float *w, const uint8_t *mask);

/* Draw s's random weights and mask (numel of each) from r; fills s->pruned when set. */
void ct_random_weights(ct_rng *r, const ct_layer_spec *s, float *w, uint8_t *mask);

/* ct_random_weights, then .draw_bias, then ct_pack. */
sc_layer *ct_random_layer(ct_rng *r, const ct_layer_spec *s);

#endif
