/* docs/examples/conv_example.c: run one pruned layer from a .sconv file on an NHWC image
 * (the README's C example; tests/install builds it against the installed library) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <sconv.h>

/* Stand-in for real data: small exact values that any program can recompute. */
static float input_value(int64_t h, int64_t w, int64_t c)
{
    return (float)((h * 7 + w * 3 + c * 5) % 17 - 8) / 8.0f;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s MODEL.sconv LAYER HEIGHT WIDTH [OUT.npy]\n", argv[0]);
        return 2;
    }
    const char *model = argv[1], *name = argv[2], *out_path = argc == 6 ? argv[5] : NULL;
    const int64_t h = strtol(argv[3], NULL, 10), w = strtol(argv[4], NULL, 10);
    if (h < 1 || w < 1 || h > 16384 || w > 16384) {
        fprintf(stderr, "conv_example: HEIGHT and WIDTH must be 1..16384\n");
        return 2;
    }

    sc_layer *layer = NULL;
    sc_conv *op = NULL;
    float *x = NULL, *y = NULL;
    sc_layer_info info;
    sc_conv_choice choice;
    sc_conv_options opt = sc_conv_options_default();
    sc_tensor xd, yd;
    int64_t ic = 0, oc = 0, oh = 0, ow = 0;
    double sum = 0.0;
    int rc = 1;
    sc_status st = sc_layer_load(model, name, &layer); /* weights, bias, stride, padding */
    if (st == SC_OK) st = sc_layer_get_info(layer, &info);
    if (st == SC_OK && info.kind != SC_LAYER_CONV) {
        fprintf(stderr, "conv_example: %s is a transposed layer (see sconv/backward.h)\n", name);
        goto done;
    }
    if (st == SC_OK)
        st = sc_conv_output_hw(&info.params, info.wdesc.kh, info.wdesc.kw, h, w, &oh, &ow);
    if (st != SC_OK) goto fail;

    /* Buffers: one NHWC image in, one out (any strides would do: NCHW, slices). */
    ic = info.wdesc.icg * info.params.groups;
    oc = info.wdesc.oc;
    xd = sc_tensor_nhwc(1, ic, h, w);
    yd = sc_tensor_nhwc(1, oc, oh, ow);
    x = malloc(sizeof(float) * (size_t)sc_tensor_numel(&xd));
    y = malloc(sizeof(float) * (size_t)sc_tensor_numel(&yd));
    if (!x || !y) {
        fprintf(stderr, "conv_example: out of memory\n");
        goto done;
    }
    for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw)
            for (int64_t c = 0; c < ic; ++c)
                x[sc_tensor_offset(&xd, 0, c, ih, iw)] = input_value(ih, iw, c);

    /* create (options, borrows the layer) -> plan (shapes, engine, kernel) -> run. */
    opt.act = sc_activation_relu();
    st = sc_conv_create(layer, &opt, &op);
    if (st == SC_OK) st = sc_conv_plan(op, &xd, &yd);
    if (st == SC_OK) st = sc_conv_run(op, x, y);
    if (st == SC_OK) st = sc_conv_describe(op, &choice);
    if (st != SC_OK) goto fail;

    for (int64_t i = 0; i < sc_tensor_numel(&yd); ++i)
        sum += y[i];
    printf("%s: %" PRId64 " -> %" PRId64 " channels, %" PRId64 "x%" PRId64 " kernel, %.1f%% zeros\n",
           name, ic, oc, info.wdesc.kh, info.wdesc.kw, 100.0 * info.sparsity);
    printf("input 1x%" PRId64 "x%" PRId64 "x%" PRId64 " -> output 1x%" PRId64 "x%" PRId64
           "x%" PRId64 " (NHWC), sum %.6e\n", h, w, ic, oh, ow, oc, sum);
    printf("engine %s, kernel %s: %s\n", choice.engine == SC_ENGINE_SPARSE ? "sparse" : "dense",
           choice.kernel, choice.reason);
    if (out_path) {
        const int64_t shape[4] = {1, oh, ow, oc};
        st = sc_npy_write(out_path, 4, shape, y);
        if (st != SC_OK) goto fail;
        printf("wrote %s\n", out_path);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "conv_example: %s: %s\n", sc_strerror(st), sc_last_message());
done:
    sc_conv_destroy(op); /* NULL is fine */
    sc_layer_destroy(layer);
    free(x);
    free(y);
    return rc;
}
