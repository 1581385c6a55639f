/* tests/interop/backward/backward_driver.c: backward data, conv_transpose and masked dW on .npy files */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sconv.h"
#include "layer/layer_impl.h"

/* backward_driver MODE key=value...
 *   MODE      bwd (dX from dY), transpose (y from x), wgrad (dW from x and dY)
 *   layout=   nchw | nhwc: every activation .npy is (N,C,H,W) or (N,H,W,C) in that order
 *   w=        weights .npy, OIHW (bwd, wgrad: (O, I, KH, KW); transpose: (Cin, Cout/g, KH, KW));
 *             exact zeros are the pruned positions
 *   in=       dY (bwd), x (transpose, wgrad)      dy= dY (wgrad)
 *   out=      dX, y, or dW (OIHW, zeros at pruned positions)
 *   xshape=N,C,H,W   dX extents (bwd)
 *   stride=a,b pad=t,l,b,r dil=a,b groups=g outpad=a,b bias=path act=none|relu
 *   kernel=auto|portable|avx2 threads=T
 * Exit status 0 on success, 1 with a message. */

static int fail(const char *what, sc_status st)
{
    fprintf(stderr, "backward_driver: %s: %s: %s\n", what, sc_strerror(st), sc_last_message());
    return 1;
}

static int parse_list(const char *s, int64_t *v, int n)
{
    for (int i = 0; i < n; ++i) {
        char *end;
        v[i] = strtoll(s, &end, 10);
        if (end == s) return -1;
        s = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* Descriptor of an activation array: extents (n, c, h, w) stored as NCHW or NHWC. */
static sc_tensor desc_of(const sc_array *a, int nhwc)
{
    return nhwc ? sc_tensor_nhwc(a->shape[0], a->shape[3], a->shape[1], a->shape[2])
                : sc_tensor_nchw(a->shape[0], a->shape[1], a->shape[2], a->shape[3]);
}

static sc_status write_act(const char *path, const sc_tensor *d, int nhwc, const float *data)
{
    const int64_t shape[4] = {d->dims[SC_N], nhwc ? d->dims[SC_H] : d->dims[SC_C],
                              nhwc ? d->dims[SC_W] : d->dims[SC_H],
                              nhwc ? d->dims[SC_C] : d->dims[SC_W]};
    return sc_npy_write(path, 4, shape, data);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: backward_driver bwd|transpose|wgrad key=value...\n");
        return 2;
    }
    const char *mode = argv[1], *wpath = NULL, *inpath = NULL, *dypath = NULL, *outpath = NULL;
    const char *biaspath = NULL;
    int nhwc = 0, relu = 0, threads = 0;
    int64_t stride[2] = {1, 1}, pad[4] = {0, 0, 0, 0}, dil[2] = {1, 1}, outpad[2] = {0, 0};
    int64_t groups = 1, xshape[4] = {0, 0, 0, 0};
    sc_kernel_choice kernel = SC_KERNEL_AUTO;
    for (int a = 2; a < argc; ++a) {
        const char *v = strchr(argv[a], '=');
        if (!v) return fail(argv[a], SC_EINVAL);
        ++v;
        const size_t k = (size_t)(v - argv[a]);
        int bad = 0;
        if (!strncmp(argv[a], "layout=", k)) nhwc = !strcmp(v, "nhwc");
        else if (!strncmp(argv[a], "w=", k)) wpath = v;
        else if (!strncmp(argv[a], "in=", k)) inpath = v;
        else if (!strncmp(argv[a], "dy=", k)) dypath = v;
        else if (!strncmp(argv[a], "out=", k)) outpath = v;
        else if (!strncmp(argv[a], "bias=", k)) biaspath = v;
        else if (!strncmp(argv[a], "act=", k)) relu = !strcmp(v, "relu");
        else if (!strncmp(argv[a], "threads=", k)) threads = atoi(v);
        else if (!strncmp(argv[a], "kernel=", k))
            kernel = !strcmp(v, "portable") ? SC_KERNEL_PORTABLE
                   : !strcmp(v, "avx2") ? SC_KERNEL_AVX2 : SC_KERNEL_AUTO;
        else if (!strncmp(argv[a], "stride=", k)) bad = parse_list(v, stride, 2);
        else if (!strncmp(argv[a], "pad=", k)) bad = parse_list(v, pad, 4);
        else if (!strncmp(argv[a], "dil=", k)) bad = parse_list(v, dil, 2);
        else if (!strncmp(argv[a], "outpad=", k)) bad = parse_list(v, outpad, 2);
        else if (!strncmp(argv[a], "xshape=", k)) bad = parse_list(v, xshape, 4);
        else if (!strncmp(argv[a], "groups=", k)) groups = strtoll(v, NULL, 10);
        else bad = 1;
        if (bad) {
            fprintf(stderr, "backward_driver: cannot parse '%s'\n", argv[a]);
            return 2;
        }
    }
    if (!wpath || !inpath || !outpath) {
        fprintf(stderr, "backward_driver: w=, in= and out= are required\n");
        return 2;
    }
    sc_array w = {0}, in = {0}, dy = {0}, bias = {0};
    sc_layer *layer = NULL;
    float *out = NULL;
    int rc = 1;
    sc_status st;
    sc_wdesc wd;
    if ((st = sc_npy_read(wpath, &w)) != SC_OK) { fail(wpath, st); goto done; }
    if ((st = sc_npy_read(inpath, &in)) != SC_OK) { fail(inpath, st); goto done; }
    if (dypath && (st = sc_npy_read(dypath, &dy)) != SC_OK) { fail(dypath, st); goto done; }
    if (biaspath && (st = sc_npy_read(biaspath, &bias)) != SC_OK) { fail(biaspath, st); goto done; }
    if (w.ndim != 4 || in.ndim != 4 || (dypath && dy.ndim != 4)) {
        fprintf(stderr, "backward_driver: weights and activations must be 4-D\n");
        goto done;
    }
    if ((st = sc_wdesc_from_shape(SC_OIHW, w.shape, &wd)) != SC_OK) { fail(wpath, st); goto done; }
    sc_pack_options po = sc_pack_options_default();
    po.params.stride_h = stride[0], po.params.stride_w = stride[1];
    po.params.pad_top = pad[0], po.params.pad_left = pad[1];
    po.params.pad_bottom = pad[2], po.params.pad_right = pad[3];
    po.params.dil_h = dil[0], po.params.dil_w = dil[1];
    po.params.groups = groups;
    po.order = nhwc ? SC_PACK_HWC : SC_PACK_CHW;
    if ((st = sc_layer_pack(&wd, w.data, NULL, &po, &layer)) != SC_OK) { fail("pack", st); goto done; }
    const sc_tensor ind = desc_of(&in, nhwc);
    if (!strcmp(mode, "bwd")) {
        const sc_tensor dxd = nhwc ? sc_tensor_nhwc(xshape[0], xshape[1], xshape[2], xshape[3])
                                   : sc_tensor_nchw(xshape[0], xshape[1], xshape[2], xshape[3]);
        sc_conv_bwd_options o = sc_conv_bwd_options_default();
        o.threads = threads;
        o.kernel = kernel;
        sc_conv_bwd *op = NULL;
        const int64_t n = xshape[0] * xshape[1] * xshape[2] * xshape[3];
        if (n < 1 || !(out = malloc((size_t)n * sizeof *out))) {
            fprintf(stderr, "backward_driver: bad xshape or out of memory\n");
            goto done;
        }
        st = sc_conv_bwd_create(layer, &o, &op);
        if (st == SC_OK) st = sc_conv_bwd_plan(op, &ind, &dxd);
        if (st == SC_OK) st = sc_conv_bwd_run(op, in.data, out);
        sc_conv_bwd_destroy(op);
        if (st != SC_OK) { fail("backward data", st); goto done; }
        if ((st = write_act(outpath, &dxd, nhwc, out)) != SC_OK) { fail(outpath, st); goto done; }
    } else if (!strcmp(mode, "transpose")) {
        sc_conv_transpose_params tp = sc_conv_transpose_params_default();
        tp.stride_h = stride[0], tp.stride_w = stride[1];
        tp.pad_top = pad[0], tp.pad_left = pad[1], tp.pad_bottom = pad[2], tp.pad_right = pad[3];
        tp.dil_h = dil[0], tp.dil_w = dil[1];
        tp.out_pad_h = outpad[0], tp.out_pad_w = outpad[1];
        tp.groups = groups;
        int64_t oh, ow;
        if ((st = sc_conv_transpose_output_hw(&tp, wd.kh, wd.kw, ind.dims[SC_H], ind.dims[SC_W],
                                              &oh, &ow)) != SC_OK) {
            fail("output size", st);
            goto done;
        }
        const int64_t cout = wd.icg * groups;
        const sc_tensor yd = nhwc ? sc_tensor_nhwc(ind.dims[SC_N], cout, oh, ow)
                                  : sc_tensor_nchw(ind.dims[SC_N], cout, oh, ow);
        if (biaspath && (bias.ndim != 1 || bias.shape[0] != cout)) {
            fprintf(stderr, "backward_driver: bias must hold %lld values\n", (long long)cout);
            goto done;
        }
        sc_conv_transpose_options o = sc_conv_transpose_options_default();
        o.threads = threads;
        o.kernel = kernel;
        o.bias = biaspath ? bias.data : NULL;
        if (relu) o.act = sc_activation_relu();
        if (!(out = malloc((size_t)sc_tensor_numel(&yd) * sizeof *out))) goto done;
        sc_conv_transpose *op = NULL;
        st = sc_conv_transpose_create(layer, &tp, &o, &op);
        if (st == SC_OK) st = sc_conv_transpose_plan(op, &ind, &yd);
        if (st == SC_OK) st = sc_conv_transpose_run(op, in.data, out);
        sc_conv_transpose_destroy(op);
        if (st != SC_OK) { fail("conv transpose", st); goto done; }
        if ((st = write_act(outpath, &yd, nhwc, out)) != SC_OK) { fail(outpath, st); goto done; }
    } else if (!strcmp(mode, "wgrad") && dypath) {
        const sc_tensor dyd = desc_of(&dy, nhwc);
        sc_csr_view v;
        sc_layer_get_csr(layer, &v);
        float *g = malloc((size_t)(v.nnz + 1) * sizeof *g);
        if (!g || !(out = calloc((size_t)sc_wdesc_numel(&wd), sizeof *out))) {
            free(g);
            goto done;
        }
        sc_wgrad_options o = sc_wgrad_options_default();
        o.threads = threads;
        o.kernel = kernel;
        st = sc_conv_wgrad(layer, &o, &ind, in.data, &dyd, dy.data, g);
        if (st != SC_OK) {
            free(g);
            fail("weight gradient", st);
            goto done;
        }
        for (int64_t r = 0; r < v.rows; ++r)  /* CSR order -> dense OIHW, zeros elsewhere */
            for (int64_t j = v.row_ptr[r]; j < v.row_ptr[r + 1]; ++j) {
                int64_t i, kh, kw;
                sc_pack_unk(po.order, wd.icg, wd.kh, wd.kw, sc_csr_col(&v, j), &i, &kh, &kw);
                out[((r * wd.icg + i) * wd.kh + kh) * wd.kw + kw] = g[j];
            }
        free(g);
        if ((st = sc_npy_write(outpath, 4, w.shape, out)) != SC_OK) { fail(outpath, st); goto done; }
    } else {
        fprintf(stderr, "backward_driver: unknown mode '%s' (or wgrad without dy=)\n", mode);
        goto done;
    }
    rc = 0;
done:
    sc_layer_destroy(layer);
    sc_array_release(&w);
    sc_array_release(&in);
    sc_array_release(&dy);
    sc_array_release(&bias);
    free(out);
    return rc;
}
