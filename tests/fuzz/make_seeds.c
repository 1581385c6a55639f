/* tests/fuzz/make_seeds.c: write the valid .sconv seed files of tests/fuzz/corpus/sconv
 * (run once, output committed): make_seeds DIR */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sconv.h"

/* Deterministic weights with about `keep` of them nonzero. */
static float *weights(int64_t n, double keep, unsigned seed)
{
    float *w = malloc((size_t)n * sizeof *w);
    unsigned s = seed;
    for (int64_t i = 0; i < n; ++i) {
        s = s * 1103515245u + 12345u;
        const double u = (double)(s >> 8) / (double)(1u << 24);
        w[i] = u < keep ? (float)((int)(s % 17) - 8) * 0.25f + 0.125f : 0.0f;
    }
    return w;
}

static sc_layer *make(const char *name, sc_wlayout layout, int64_t oc, int64_t icg, int64_t kh,
                      int64_t kw, int64_t groups, int64_t stride, int64_t pad, int64_t dil,
                      sc_pack_order order, bool bias, double keep, unsigned seed)
{
    const sc_wdesc wd = {layout, oc, icg, kh, kw};
    float *w = weights(oc * icg * kh * kw, keep, seed), *b = weights(oc, 1.0, seed + 1);
    sc_pack_options po = sc_pack_options_default();
    po.name = name;
    po.params.groups = groups;
    po.params.stride_h = po.params.stride_w = stride;
    po.params.pad_top = po.params.pad_left = po.params.pad_bottom = po.params.pad_right = pad;
    po.params.dil_h = po.params.dil_w = dil;
    po.order = order;
    po.bias = bias ? b : NULL;
    po.method = "l1";
    po.method_params = "amount=0.5 convention=torch";
    sc_layer *l = NULL;
    if (sc_layer_pack(&wd, w, NULL, &po, &l) != SC_OK) {
        fprintf(stderr, "pack %s: %s\n", name, sc_last_message());
        exit(1);
    }
    free(w);
    free(b);
    return l;
}

static void write_seed(const char *dir, const char *file, sc_layer **l, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (sc_file_write(path, (const sc_layer *const *)l, n) != SC_OK) {
        fprintf(stderr, "%s\n", sc_last_message());
        exit(1);
    }
    for (size_t i = 0; i < n; ++i) sc_layer_destroy(l[i]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: make_seeds DIR\n", stderr);
        return 2;
    }
    const char *d = argv[1];
    sc_layer *l[3];
    l[0] = make("conv", SC_OIHW, 4, 3, 3, 3, 1, 1, 1, 1, SC_PACK_CHW, true, 0.5, 1);
    write_seed(d, "valid-3x3-bias.sconv", l, 1);
    l[0] = make("dw", SC_HWIO, 6, 1, 3, 3, 6, 2, 1, 1, SC_PACK_HWC, false, 0.6, 2);
    write_seed(d, "valid-depthwise-hwc.sconv", l, 1);
    l[0] = make("g2", SC_OHWI, 4, 2, 1, 3, 2, 1, 0, 2, SC_PACK_HWC, true, 0.4, 3);
    write_seed(d, "valid-groups-dilation.sconv", l, 1);
    l[0] = make("a", SC_OIHW, 2, 2, 1, 1, 1, 1, 0, 1, SC_PACK_CHW, false, 1.0, 4);
    l[1] = make("b.x", SC_OIHW, 3, 1, 2, 2, 1, 2, 0, 1, SC_PACK_CHW, true, 0.3, 5);
    l[2] = make("c", SC_HWIO, 2, 2, 3, 1, 1, 1, 2, 1, SC_PACK_HWC, true, 0.5, 6);
    write_seed(d, "valid-three-layers.sconv", l, 3);
    l[0] = make("empty", SC_OIHW, 3, 2, 2, 2, 1, 1, 0, 1, SC_PACK_CHW, true, 0.0, 7);
    write_seed(d, "valid-all-pruned.sconv", l, 1);
    l[0] = make("wide", SC_OIHW, 2, 65537, 1, 1, 1, 1, 0, 1, SC_PACK_CHW, false, 0.00005, 8);
    write_seed(d, "valid-u32-indices.sconv", l, 1);
    return 0;
}
