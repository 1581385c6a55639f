/* tests/fuzz/make_seeds.c: write the valid .sconv seed files of tests/fuzz/corpus/sconv
 * (run once, output committed): make_seeds DIR */
#define _GNU_SOURCE  /* memmem */
#include <stdbool.h>
#include <stdint.h>
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

/* A near-valid seed: `from` with the metadata text `old` replaced by `neu` and the header
 * length updated. The checksum goes stale only where the data changes; fuzz_sconv puts
 * the data's CRC in place of a stale one, so such a file reaches the checks behind it. */
static void rewrite_seed(const char *dir, const char *from, const char *to, const char *old,
                         const char *neu)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, from);
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 20], out[(1 << 20) + 256];
    const size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    uint64_t hlen = 0;
    for (int b = 0; b < 8 && n >= 8; ++b) hlen |= (uint64_t)buf[b] << (8 * b);
    const char *at = n > 8 ? memmem(buf + 8, (size_t)hlen, old, strlen(old)) : NULL;
    if (!at) {
        fprintf(stderr, "rewrite %s: '%s' not found\n", from, old);
        exit(1);
    }
    const size_t pre = (size_t)((const unsigned char *)at - buf), lo = strlen(old), ln = strlen(neu);
    memcpy(out, buf, pre);
    memcpy(out + pre, neu, ln);
    memcpy(out + pre + ln, at + lo, n - pre - lo);
    const uint64_t nh = hlen + ln - lo;
    for (int b = 0; b < 8; ++b) out[b] = (unsigned char)(nh >> (8 * b));
    snprintf(path, sizeof path, "%s/%s", dir, to);
    f = fopen(path, "wb");
    if (!f || fwrite(out, 1, n + ln - lo, f) != n + ln - lo || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write\n", path);
        exit(1);
    }
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
    /* huge strides, paddings and dilations (the format allows each up to 2^40); the two
     * regress-stride seeds time out or fail to plan while phase maps are as long as the stride */
    const int64_t t28 = (int64_t)1 << 28, t40 = (int64_t)1 << 40;
    l[0] = make("stride28", SC_OIHW, 32, 16, 3, 3, 1, t28, 1, 1, SC_PACK_CHW, true, 0.5, 9);
    write_seed(d, "regress-stride-2e28-timeout.sconv", l, 1);
    l[0] = make("stride40", SC_OIHW, 4, 3, 3, 3, 1, t40, 0, 1, SC_PACK_HWC, false, 0.5, 10);
    write_seed(d, "regress-stride-2e40-plan-enomem.sconv", l, 1);
    l[0] = make("pad40", SC_HWIO, 4, 3, 3, 3, 1, 1, t40, 1, SC_PACK_CHW, true, 0.5, 11);
    write_seed(d, "valid-pad-2e40.sconv", l, 1);
    l[0] = make("all40", SC_OIHW, 2, 2, 2, 2, 2, t40, t40, t40, SC_PACK_HWC, true, 0.7, 12);
    write_seed(d, "valid-stride-pad-dilation-2e40.sconv", l, 1);
    /* kernel extents whose products come near the 2^32 columns of 32-bit indices and near,
     * or past, the int64 limit (65537 columns per kernel element, so 65537 * kh * kw) */
    static const char *const near[4][2] = {{"near-dims-2e32-columns.sconv", "255"},
                                           {"near-dims-2e56.sconv", "1048576"},
                                           {"near-dims-2e62.sconv", "8388608"},
                                           {"near-dims-overflow.sconv", "1099511627776"}};
    for (int i = 0; i < 4; ++i) {
        char dims[128];
        snprintf(dims, sizeof dims, "\"wide.kh\":\"%s\",\"wide.kw\":\"%s\"", near[i][1],
                 near[i][1]);
        rewrite_seed(d, "valid-u32-indices.sconv", near[i][0], "\"wide.kh\":\"1\",\"wide.kw\":\"1\"",
                     dims);
        /* 5 of 2 * 65537 * kh * kw weights kept: the sparsity rounds to 1 */
        rewrite_seed(d, near[i][0], near[i][0], "\"wide.sparsity\":\"0.99996185360941148\"",
                     "\"wide.sparsity\":\"1\"");
    }
    return 0;
}
