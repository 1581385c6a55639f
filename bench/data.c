/* bench/data.c: the inputs of a point: N(0,1) weights and activations from fixed seeds, pruning, packing */
#include <math.h>
#include <string.h>

#include "data.h"

/* splitmix64: a small, well-mixed generator; the seed fixes every number the bench uses. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* N(0,1) by Box-Muller, in double, rounded to float. */
void scb_fill_normal(float *v, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i += 2) {
        double u1 = ((double)(next_u64(&s) >> 11) + 1.0) * 0x1.0p-53;  /* (0, 1] */
        double u2 = (double)(next_u64(&s) >> 11) * 0x1.0p-53;          /* [0, 1) */
        double r = sqrt(-2.0 * log(u1)), t = 6.283185307179586 * u2;  /* 2 pi */
        v[i] = (float)(r * cos(t));
        if (i + 1 < n) v[i + 1] = (float)(r * sin(t));
    }
}

/* A seed per layer shape, so every layer has its own weights, identical across runs,
 * sparsities, layouts and thread counts (pruning at 0.95 removes a superset of 0.9). */
uint64_t scb_shape_seed(const scb_shape *s, uint64_t salt)
{
    uint64_t h = 0x5C0417BE2C4ull ^ salt;
    const int64_t f[] = {s->cin, s->cout, s->h, s->w, s->kh, s->kw, s->stride, s->pad, s->dil,
                         s->groups};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        h ^= (uint64_t)f[i];
        next_u64(&h);
        h = next_u64(&h);
    }
    return h;
}

int scb_method_spec(const char *method, double amount, scb_layout layout, int64_t groups,
                    sc_prune_spec *spec)
{
    sc_prune_spec sp = sc_prune_spec_default();
    sc_status st = sc_prune_spec_parse(method, &sp);
    if (st != SC_OK) {
        fprintf(stderr, "sconv-bench: --method %s: %s\n", method, sc_last_message());
        return -1;
    }
    if (sp.method != SC_PRUNE_L1 && sp.method != SC_PRUNE_BLOCK && sp.method != SC_PRUNE_NM) {
        fprintf(stderr, "sconv-bench: --method %s: expected l1, block:RxC or nm:N:M\n", method);
        return -1;
    }
    sp.amount = amount;
    sp.order = layout == SCB_NHWC ? SC_PACK_HWC : SC_PACK_CHW;
    sp.groups = groups;
    *spec = sp;
    return 0;
}

int scb_prune_pack(const scb_shape *s, const char *method, double amount, scb_layout layout,
                   const float *w_full, float *w_pruned, uint8_t *mask, sc_layer **layer)
{
    sc_prune_spec spec;
    if (scb_method_spec(method, amount, layout, s->groups, &spec)) return -1;
    sc_wdesc wd = {SC_OIHW, s->cout, s->cin / s->groups, s->kh, s->kw};
    size_t n = (size_t)sc_wdesc_numel(&wd);
    sc_status st = sc_prune_mask(&spec, &wd, w_full, mask);
    if (st != SC_OK) {
        fprintf(stderr, "sconv-bench: %s: prune %s %.3g: %s: %s\n", s->name, method, amount,
                sc_strerror(st), sc_last_message());
        return -1;
    }
    for (size_t i = 0; i < n; i++) w_pruned[i] = mask[i] ? w_full[i] : 0.0f;
    sc_pack_options po = sc_pack_options_default();
    po.name = s->name;
    po.params = scb_shape_params(s);
    po.order = spec.order;
    po.method = method;
    st = sc_layer_pack(&wd, w_pruned, NULL, &po, layer);
    if (st != SC_OK) {
        fprintf(stderr, "sconv-bench: %s: pack: %s: %s\n", s->name, sc_strerror(st),
                sc_last_message());
        return -1;
    }
    return 0;
}

sc_conv_params scb_shape_params(const scb_shape *s)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = s->stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = s->pad;
    p.dil_h = p.dil_w = s->dil;
    p.groups = s->groups;
    return p;
}

double scb_max_rel_err(const sc_tensor *yd, const float *y, const float *ref_nchw)
{
    /* max |y - ref| / max |ref| over the output: a normwise error that does not blow up
     * at outputs near zero; NaN or Inf in y gives Inf. */
    const int64_t N = yd->dims[SC_N], C = yd->dims[SC_C], H = yd->dims[SC_H], W = yd->dims[SC_W];
    double max_ref = 0, max_diff = 0;
    int64_t i = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++, i++) {
                    double r = ref_nchw[i], v = y[sc_tensor_offset(yd, n, c, h, w)];
                    if (!isfinite(v)) return INFINITY;
                    if (fabs(r) > max_ref) max_ref = fabs(r);
                    if (fabs(v - r) > max_diff) max_diff = fabs(v - r);
                }
    return max_ref > 0 ? max_diff / max_ref : max_diff;
}
