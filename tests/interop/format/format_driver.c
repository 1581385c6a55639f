/* tests/interop/format/format_driver.c: write a .sconv file and the dense weights it must give */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "sconv.h"

/* format_driver OUTDIR
 * Packs four layers from deterministic weights and writes
 *   OUTDIR/model.sconv           all four layers (sc_file_write)
 *   OUTDIR/<i>.expected.npy      layer i's source weights times its mask, OIHW, computed here
 *                                by explicit loops (never through sconv's packing)
 *   OUTDIR/<i>.unpacked.npy      sc_layer_unpack(layer i, SC_OIHW)
 *   OUTDIR/<i>.bias.npy          layer i's bias (layers with a bias)
 * The layers cover both pack orders, the three source layouts, groups, a bias, 32-bit
 * column indices (72000 columns) and an all-zero layer. Also
 *   OUTDIR/transposed.sconv      one conv_transpose layer "up" (format_version 2): a
 *                                ConvTranspose2d weight (Cin 6, Cout/groups 4, 3, 3), groups 2,
 *                                stride 2, padding 1, output padding 1, pack order hwc
 *   OUTDIR/up.expected.npy       its pruned weight, (Cin, Cout/groups, KH, KW)
 * Exit status 0, or 1 with a message. */

typedef struct spec {
    const char *name;
    sc_wlayout layout;
    int64_t oc, icg, kh, kw, groups;
    sc_pack_order order;
    int zero_pct;
    int bias;
} spec;

static const spec specs[] = {
    {"conv1", SC_OIHW, 8, 3, 3, 3, 1, SC_PACK_CHW, 70, 1},
    {"block.2/dw", SC_HWIO, 6, 2, 5, 3, 3, SC_PACK_HWC, 40, 0},
    {"wide", SC_OHWI, 3, 8000, 3, 3, 1, SC_PACK_HWC, 99, 1},
    {"empty", SC_OIHW, 4, 2, 1, 1, 2, SC_PACK_CHW, 100, 0},
};
#define N_LAYERS 4

static ct_rng rng = {12345};
static uint32_t rnd(void) { return ct_u32(&rng); }

static int fail(const char *what, sc_status st)
{
    fprintf(stderr, "format_driver: %s: %s: %s\n", what, sc_strerror(st), sc_last_message());
    return 1;
}

/* Flat index of (o, i, h, w) in a C-ordered tensor of the given layout. */
static int64_t at(const spec *s, int64_t o, int64_t i, int64_t h, int64_t w)
{
    switch (s->layout) {
    case SC_OHWI: return ((o * s->kh + h) * s->kw + w) * s->icg + i;
    case SC_HWIO: return ((h * s->kw + w) * s->icg + i) * s->oc + o;
    default: return ((o * s->icg + i) * s->kh + h) * s->kw + w;
    }
}

/* transposed.sconv and up.expected.npy (see the top). */
static int write_transposed(const char *dir)
{
    enum { CIN = 6, COG = 4, K = 3, N = CIN * COG * K * K };
    float w[N], exp[N];
    for (int j = 0; j < N; ++j) {
        w[j] = (float)((int)(rnd() % 20001) - 10000) / 1237.0f;
        if (rnd() % 100 < 60) w[j] = 0.0f;  /* pruned */
        exp[j] = w[j];
    }
    const sc_wdesc wd = {SC_OIHW, CIN, COG, K, K};
    sc_pack_options opt = sc_pack_options_default();
    opt.name = "up";
    opt.order = SC_PACK_HWC;
    opt.params.groups = 2;
    opt.params.stride_h = opt.params.stride_w = 2;
    opt.params.pad_top = opt.params.pad_left = opt.params.pad_bottom = opt.params.pad_right = 1;
    opt.kind = SC_LAYER_CONV_TRANSPOSE;
    opt.out_pad_h = opt.out_pad_w = 1;
    opt.method = "mask";
    opt.method_params = "interop test";
    sc_layer *l = NULL;
    char path[4096];
    sc_status st = sc_layer_pack(&wd, w, NULL, &opt, &l);
    if (st != SC_OK) return fail("up", st);
    const int64_t shape[4] = {CIN, COG, K, K};
    snprintf(path, sizeof path, "%s/up.expected.npy", dir);
    st = sc_npy_write(path, 4, shape, exp);
    if (st == SC_OK) snprintf(path, sizeof path, "%s/transposed.sconv", dir);
    if (st == SC_OK) st = sc_file_write(path, (const sc_layer *const *)&l, 1);
    sc_layer_destroy(l);
    return st == SC_OK ? 0 : fail(path, st);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: format_driver OUTDIR\n");
        return 2;
    }
    sc_layer *layers[N_LAYERS] = {0};
    int rc = 1;
    char path[4096];
    for (int l = 0; l < N_LAYERS; ++l) {
        const spec *s = &specs[l];
        const int64_t n = s->oc * s->icg * s->kh * s->kw;
        float *w = malloc((size_t)n * 4), *exp = malloc((size_t)n * 4), *got = malloc((size_t)n * 4);
        float *bias = malloc((size_t)s->oc * 4);
        uint8_t *mask = malloc((size_t)n);
        if (!w || !exp || !got || !bias || !mask) {
            fprintf(stderr, "format_driver: out of memory\n");
            goto next;
        }
        for (int64_t j = 0; j < n; ++j) {
            w[j] = (float)((int)(rnd() % 20001) - 10000) / 1237.0f;
            if ((int)(rnd() % 100) < s->zero_pct / 2) w[j] = 0.0f;     /* zeros in the source */
            mask[j] = (int)(rnd() % 100) >= s->zero_pct / 2;                /* and pruned */
            if (s->zero_pct == 100) mask[j] = 0;
        }
        for (int64_t o = 0; o < s->oc; ++o) bias[o] = 0.25f * (float)o - 1.0f;
        for (int64_t o = 0; o < s->oc; ++o)  /* expected: OIHW, mask applied, -0 -> +0 */
            for (int64_t i = 0; i < s->icg; ++i)
                for (int64_t h = 0; h < s->kh; ++h)
                    for (int64_t x = 0; x < s->kw; ++x) {
                        const int64_t src = at(s, o, i, h, x);
                        const float v = mask[src] && w[src] != 0.0f ? w[src] : 0.0f;
                        exp[((o * s->icg + i) * s->kh + h) * s->kw + x] = v;
                    }
        const sc_wdesc wd = {s->layout, s->oc, s->icg, s->kh, s->kw};
        sc_pack_options opt = sc_pack_options_default();
        opt.name = s->name;
        opt.order = s->order;
        opt.params.groups = s->groups;
        opt.params.pad_top = opt.params.pad_left = opt.params.pad_bottom = opt.params.pad_right = 1;
        opt.bias = s->bias ? bias : NULL;
        opt.method = "mask";
        opt.method_params = "interop test";
        sc_status st = sc_layer_pack(&wd, w, mask, &opt, &layers[l]);
        if (st != SC_OK) { fail(s->name, st); goto next; }
        if ((st = sc_layer_unpack(layers[l], SC_OIHW, got)) != SC_OK) { fail(s->name, st); goto next; }
        const int64_t shape[4] = {s->oc, s->icg, s->kh, s->kw};
        snprintf(path, sizeof path, "%s/%d.expected.npy", argv[1], l);
        if ((st = sc_npy_write(path, 4, shape, exp)) != SC_OK) { fail(path, st); goto next; }
        snprintf(path, sizeof path, "%s/%d.unpacked.npy", argv[1], l);
        if ((st = sc_npy_write(path, 4, shape, got)) != SC_OK) { fail(path, st); goto next; }
        snprintf(path, sizeof path, "%s/%d.bias.npy", argv[1], l);
        if (s->bias && (st = sc_npy_write(path, 1, &s->oc, bias)) != SC_OK) { fail(path, st); goto next; }
        rc = 0;
next:
        free(w); free(exp); free(got); free(bias); free(mask);
        if (rc) goto done;
        rc = 1;
    }
    snprintf(path, sizeof path, "%s/model.sconv", argv[1]);
    sc_status st = sc_file_write(path, (const sc_layer *const *)layers, N_LAYERS);
    if (st != SC_OK) {
        fail(path, st);
        goto done;
    }
    rc = write_transposed(argv[1]);
done:
    for (int l = 0; l < N_LAYERS; ++l) sc_layer_destroy(layers[l]);
    return rc;
}
