/* tests/interop/prune/prune_driver.c: prune .npy weights with sconv and write the 0/1 masks as .npy */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sconv.h"

/* prune_driver METHOD AMOUNT CONVENTION LAYOUT IN.npy OUT.npy [IN2.npy OUT2.npy ...]
 *   METHOD      any sc_prune_spec_parse string ("l1", "global", "filter:l2", "block:4x1", ...)
 *   AMOUNT      a fraction ("0.5"), "count=N" for an exact count, or "threshold=T"
 *   CONVENTION  torch | tfmot
 *   LAYOUT      oihw | ohwi | hwio (of every input; masks are written in the same layout)
 * Several IN/OUT pairs rank all layers together (sc_prune_mask_global). Options after
 * the layout: order=chw|hwc, groups=G. Exit status 0 on success, 1 with a message. */
#define MAX_LAYERS 8

static int usage(void)
{
    fprintf(stderr, "usage: prune_driver METHOD AMOUNT|count=N|threshold=T CONVENTION LAYOUT "
                    "[order=chw|hwc] [groups=G] IN.npy OUT.npy [IN.npy OUT.npy ...]\n");
    return 2;
}

static int fail(const char *what, sc_status st)
{
    fprintf(stderr, "prune_driver: %s: %s: %s\n", what, sc_strerror(st), sc_last_message());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 7) return usage();
    sc_prune_spec spec = sc_prune_spec_default();
    sc_wlayout layout;
    sc_status st = sc_prune_spec_parse(argv[1], &spec);
    if (st != SC_OK) return fail("method", st);
    if (!strncmp(argv[2], "count=", 6)) spec.count = strtoll(argv[2] + 6, NULL, 10);
    else if (!strncmp(argv[2], "threshold=", 10)) spec.threshold = strtod(argv[2] + 10, NULL);
    else spec.amount = strtod(argv[2], NULL);
    if ((st = sc_prune_convention_parse(argv[3], &spec.convention)) != SC_OK)
        return fail("convention", st);
    if ((st = sc_wlayout_parse(argv[4], &layout)) != SC_OK) return fail("layout", st);
    int a = 5;
    for (; a < argc && strchr(argv[a], '=') && !strstr(argv[a], ".npy"); ++a) {
        if (!strncmp(argv[a], "order=", 6)) {
            if ((st = sc_pack_order_parse(argv[a] + 6, &spec.order)) != SC_OK)
                return fail("order", st);
        } else if (!strncmp(argv[a], "groups=", 7)) {
            spec.groups = strtoll(argv[a] + 7, NULL, 10);
        } else {
            return usage();
        }
    }
    const int n_layers = (argc - a) / 2;
    if (n_layers < 1 || n_layers > MAX_LAYERS || (argc - a) % 2) return usage();

    sc_array in[MAX_LAYERS];
    sc_wdesc wd[MAX_LAYERS];
    const sc_wdesc *wdp[MAX_LAYERS];
    const float *wp[MAX_LAYERS];
    uint8_t *mask[MAX_LAYERS] = {0};
    memset(in, 0, sizeof in);
    int rc = 1;
    for (int l = 0; l < n_layers; ++l) {
        const char *path = argv[a + 2 * l];
        if ((st = sc_npy_read(path, &in[l])) != SC_OK) { fail(path, st); goto done; }
        if (in[l].ndim != 4) {
            fprintf(stderr, "prune_driver: %s: rank %d, need 4-D weights\n", path, in[l].ndim);
            goto done;
        }
        if ((st = sc_wdesc_from_shape(layout, in[l].shape, &wd[l])) != SC_OK) { fail(path, st); goto done; }
        wdp[l] = &wd[l];
        wp[l] = in[l].data;
        mask[l] = malloc((size_t)sc_wdesc_numel(&wd[l]));
        if (!mask[l]) { fprintf(stderr, "prune_driver: out of memory\n"); goto done; }
    }
    st = n_layers == 1 ? sc_prune_mask(&spec, &wd[0], wp[0], mask[0])
                       : sc_prune_mask_global(&spec, (size_t)n_layers, wdp, wp, mask);
    if (st != SC_OK) { fail("prune", st); goto done; }
    for (int l = 0; l < n_layers; ++l) {
        const int64_t n = sc_wdesc_numel(&wd[l]);
        for (int64_t i = 0; i < n; ++i) in[l].data[i] = (float)mask[l][i];  /* reuse the buffer */
        const char *out = argv[a + 2 * l + 1];
        if ((st = sc_npy_write(out, 4, in[l].shape, in[l].data)) != SC_OK) { fail(out, st); goto done; }
    }
    rc = 0;
done:
    for (int l = 0; l < n_layers; ++l) {
        sc_array_release(&in[l]);
        free(mask[l]);
    }
    return rc;
}
