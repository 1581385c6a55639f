/* src/op/conv_transpose_op.c: the transposed convolution as an inference layer: create, plan, run */
#include <string.h>

#include "core/core.h"
#include "op/kernel_choice.h"
#include "op/op_impl.h"
#include "layer/layer_impl.h"

sc_conv_transpose_options sc_conv_transpose_options_default(void)
{
    return (sc_conv_transpose_options){.act = sc_activation_none(), .bias = NULL, .threads = 0,
                                       .kernel = SC_KERNEL_AUTO};
}

sc_status sc_conv_transpose_create(const sc_layer *layer, const sc_conv_transpose_params *p,
                                   const sc_conv_transpose_options *opt,
                                   sc_conv_transpose **out)
{
    if (!layer || !p || !out)
        return sc_fail(SC_EINVAL, "conv transpose create: layer, params and out must not be "
                       "NULL");
    const sc_conv_transpose_options o = opt ? *opt : sc_conv_transpose_options_default();
    const sc_conv_params fp = sc_conv_transpose_forward_params(p);
    sc_status st = sc_conv_params_check(&fp);
    if (st != SC_OK) return st;
    if (!sc_out_pad_ok(p->out_pad_h, p->stride_h, p->dil_h) ||
        !sc_out_pad_ok(p->out_pad_w, p->stride_w, p->dil_w))
        return sc_fail(SC_EINVAL, "conv transpose: output padding %lld x %lld must be >= 0 and "
                       "below the stride (%lld x %lld) or the dilation (%lld x %lld)",
                       (long long)p->out_pad_h, (long long)p->out_pad_w, (long long)p->stride_h,
                       (long long)p->stride_w, (long long)p->dil_h, (long long)p->dil_w);
    if (layer->params.groups != p->groups)
        return sc_fail(SC_EINVAL, "conv transpose: the layer is packed with %lld groups, the "
                       "params ask for %lld", (long long)layer->params.groups,
                       (long long)p->groups);
    if ((st = sc_activation_check(&o.act)) != SC_OK) return st;
    if ((st = sc_threads_check("conv transpose", o.threads)) != SC_OK) return st;
    if ((st = sc_kernel_choice_check("conv transpose", o.kernel)) != SC_OK) return st;
    const int64_t cout = layer->wd.icg * p->groups;
    sc_conv_transpose *op = NULL;
    if ((st = sc_alloc_array((void **)&op, 1, sizeof *op, true, "conv transpose: operator")) !=
        SC_OK)
        goto done;
    if (o.bias) {
        if ((st = sc_alloc_array((void **)&op->t.bias, (size_t)cout, sizeof(float), false,
                                 "conv transpose: bias")) != SC_OK)
            goto done;
        memcpy(op->t.bias, o.bias, (size_t)cout * sizeof(float));
    }
    op->p = *p;
    op->t.layer = layer;
    op->t.p = fp;
    op->t.threads = o.threads;
    op->t.kernel = o.kernel;
    atomic_init(&op->t.gate, 0u);
    op->t.act = sc_spmm_params_for(&o.act);
    *out = op;
    op = NULL;
done:
    sc_conv_transpose_destroy(op);
    return st;
}

sc_status sc_conv_transpose_plan(sc_conv_transpose *op, const sc_tensor *x, const sc_tensor *y)
{
    if (!op || !x || !y)
        return sc_fail(SC_EINVAL, "conv transpose plan: op, x and y must not be NULL");
    sc_status st = sc_gate_plan_enter(&op->t.gate, "conv transpose plan");
    if (st != SC_OK) return st;
    st = sc_conv_transpose_check(&op->p, &op->t.layer->wd, x, y);
    if (st == SC_OK) st = sc_tconv_op_plan(&op->t, x, y);
    sc_gate_plan_leave(&op->t.gate);
    return st;
}

sc_status sc_conv_transpose_run(const sc_conv_transpose *op, const float *x, float *y)
{
    if (!op || !x || !y)
        return sc_fail(SC_EINVAL, "conv transpose run: op, x and y must not be NULL");
    return sc_tconv_op_run(&op->t, "conv transpose run", x, "the input x", y, "the output y");
}

sc_status sc_conv_transpose_describe(const sc_conv_transpose *op, sc_conv_choice *out)
{
    if (!op || !out)
        return sc_fail(SC_EINVAL, "conv transpose describe: op and out must not be NULL");
    return sc_tconv_op_describe(&op->t, "conv transpose describe", out);
}

void sc_conv_transpose_destroy(sc_conv_transpose *op)
{
    if (!op) return;
    sc_tconv_plan_clear(&op->t.tp);
    sc_free(op->t.bias);
    sc_free(op);
}
