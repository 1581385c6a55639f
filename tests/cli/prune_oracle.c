/* tests/cli/prune_oracle.c: prune .npy weights with the library directly (no CLI code), the
 * oracle `sconv prune` + `sconv unpack` is compared against in tests/cli/test_cli.py.
 *   prune_oracle LAYOUT METHOD KIND VALUE CONVENTION ORDER GROUPS OUTDIR W1.npy [W2.npy ...]
 * KIND is sparsity, count, threshold or none (N:M); ORDER chw or hwc. Writes
 * OUTDIR/pruned_<i>.f32: the weights times the keep-mask, in the input's layout, as raw
 * little-endian float32 (plain stdio: the oracle shares no output code with the CLI). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sconv.h"

#define MAX_LAYERS 16

static int die(const char *what, sc_status st)
{
    fprintf(stderr, "prune_oracle: %s: %s: %s\n", what, sc_strerror(st), sc_last_message());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 10 || argc - 9 > MAX_LAYERS) {
        fprintf(stderr, "usage: prune_oracle LAYOUT METHOD KIND VALUE CONVENTION ORDER GROUPS "
                "OUTDIR W.npy...\n");
        return 2;
    }
    const int n = argc - 9;
    sc_wlayout layout;
    sc_prune_spec spec = sc_prune_spec_default();
    sc_status st = sc_wlayout_parse(argv[1], &layout);
    if (st != SC_OK) return die("layout", st);
    if ((st = sc_prune_spec_parse(argv[2], &spec)) != SC_OK) return die("method", st);
    if (strcmp(argv[3], "sparsity") == 0) spec.amount = atof(argv[4]);
    else if (strcmp(argv[3], "count") == 0) spec.count = atoll(argv[4]);
    else if (strcmp(argv[3], "threshold") == 0) spec.threshold = atof(argv[4]);
    if ((st = sc_prune_convention_parse(argv[5], &spec.convention)) != SC_OK)
        return die("convention", st);
    if ((st = sc_pack_order_parse(argv[6], &spec.order)) != SC_OK) return die("order", st);
    spec.groups = atoll(argv[7]);
    sc_array w[MAX_LAYERS] = {{0}};
    sc_wdesc wd[MAX_LAYERS];
    uint8_t *mask[MAX_LAYERS] = {0};
    const sc_wdesc *wdp[MAX_LAYERS];
    const float *wp[MAX_LAYERS];
    for (int i = 0; i < n; ++i) {
        if ((st = sc_npy_read(argv[9 + i], &w[i])) != SC_OK) return die(argv[9 + i], st);
        if (w[i].ndim != 4) return die("weights must be 4-D", SC_EINVAL);
        if ((st = sc_wdesc_from_shape(layout, w[i].shape, &wd[i])) != SC_OK) return die("shape", st);
        mask[i] = calloc((size_t)sc_wdesc_numel(&wd[i]), 1);
        if (!mask[i]) return die("mask", SC_ENOMEM);
        wdp[i] = &wd[i];
        wp[i] = w[i].data;
    }
    if (spec.method == SC_PRUNE_GLOBAL) st = sc_prune_mask_global(&spec, (size_t)n, wdp, wp, mask);
    for (int i = 0; spec.method != SC_PRUNE_GLOBAL && st == SC_OK && i < n; ++i)
        st = sc_prune_mask(&spec, &wd[i], w[i].data, mask[i]);
    if (st != SC_OK) return die("prune", st);
    for (int i = 0; i < n; ++i) {
        for (int64_t k = 0; k < sc_wdesc_numel(&wd[i]); ++k)
            if (!mask[i][k]) w[i].data[k] = 0.0f;
        char path[4096];
        snprintf(path, sizeof path, "%s/pruned_%d.f32", argv[8], i);
        FILE *f = fopen(path, "wb");
        const size_t n_w = (size_t)sc_wdesc_numel(&wd[i]);
        if (!f || fwrite(w[i].data, sizeof(float), n_w, f) != n_w || fclose(f) != 0) {
            fprintf(stderr, "prune_oracle: cannot write %s\n", path);
            return 1;
        }
        free(mask[i]);
        sc_array_release(&w[i]);
    }
    return 0;
}
