/* tests/common/layer.c: packed layers for the tests: pack with options, random pruned weights */
#include "common/layer.h"

#include <criterion/criterion.h>
#include <stdlib.h>

sc_layer *ct_pack(const ct_layer_spec *s, const float *w, const uint8_t *mask)
{
    sc_pack_options po = sc_pack_options_default();
    if (s->params) po.params = *s->params;
    po.order = s->order;
    po.bias = s->bias;
    if (s->name) po.name = s->name;
    po.method = s->method;
    po.method_params = s->method_params;
    sc_layer *layer = NULL;
    cr_assert_eq(sc_layer_pack(&s->wd, w, mask, &po, &layer), SC_OK, "%s: %s",
                 s->what ? s->what : "layer", sc_last_message());
    return layer;
}

void ct_random_weights(ct_rng *r, const ct_layer_spec *s, float *w, uint8_t *mask)
{
    const int64_t nw = sc_wdesc_numel(&s->wd);
    const double w_max = s->w_max > 0 ? s->w_max : 1.0;
    for (int64_t i = 0; i < nw; ++i) {
        w[i] = (float)(2 * w_max * ct_uniform(r) - w_max);
        if (!s->masks_after_weights) mask[i] = ct_uniform(r) >= s->sparsity;
    }
    for (int64_t i = 0; s->masks_after_weights && i < nw; ++i)
        mask[i] = ct_uniform(r) >= s->sparsity;
    const int64_t row = nw / s->wd.oc;  /* weights per output channel (OIHW rows) */
    for (int64_t i = 0; s->block > 1 && i < nw; ++i)
        mask[i] = mask[i / row / s->block * s->block * row + i % row];
    for (int64_t i = 0; s->pruned && i < nw; ++i) s->pruned[i] = mask[i] ? w[i] : 0.0f;
}

sc_layer *ct_random_layer(ct_rng *r, const ct_layer_spec *s)
{
    const int64_t nw = sc_wdesc_numel(&s->wd);
    float *w = malloc((size_t)nw * sizeof *w);
    uint8_t *mask = malloc((size_t)nw);
    cr_assert(w && mask);
    ct_random_weights(r, s, w, mask);
    ct_layer_spec with_bias = *s;
    if (s->draw_bias) {
        for (int64_t o = 0; o < s->wd.oc; ++o) s->draw_bias[o] = (float)(ct_uniform(r) - 0.5);
        with_bias.bias = s->draw_bias;
    }
    sc_layer *layer = ct_pack(&with_bias, w, mask);
    free(w);
    free(mask);
    return layer;
}
