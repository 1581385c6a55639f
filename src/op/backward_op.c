/* src/op/backward_op.c: the backward-data operator lifecycle: options, create, plan, run, destroy */
#include <string.h>

#include "core/core.h"
#include "op/kernel_choice.h"
#include "op/op_impl.h"
#include "layer/layer_impl.h"

sc_conv_bwd_options sc_conv_bwd_options_default(void)
{
    return (sc_conv_bwd_options){.threads = 0, .kernel = SC_KERNEL_AUTO};
}

sc_status sc_conv_bwd_create(const sc_layer *layer, const sc_conv_bwd_options *opt,
                             sc_conv_bwd **out)
{
    if (!layer || !out)
        return sc_fail(SC_EINVAL, "backward create: layer and out must not be NULL");
    const sc_conv_bwd_options o = opt ? *opt : sc_conv_bwd_options_default();
    sc_status st = sc_threads_check("backward", o.threads);
    if (st == SC_OK) st = sc_kernel_choice_check("backward", o.kernel);
    if (st != SC_OK) return st;
    sc_conv_bwd *op = NULL;
    if ((st = sc_alloc_array((void **)&op, 1, sizeof *op, true, "backward: operator")) != SC_OK)
        return st;
    op->t.layer = layer;
    op->t.p = layer->params;
    op->t.threads = o.threads;
    op->t.kernel = o.kernel;
    atomic_init(&op->t.gate, 0u);
    *out = op;
    return SC_OK;
}

sc_status sc_conv_bwd_plan(sc_conv_bwd *op, const sc_tensor *dy, const sc_tensor *dx)
{
    if (!op || !dy || !dx)
        return sc_fail(SC_EINVAL, "backward plan: op, dy and dx must not be NULL");
    sc_status st = sc_gate_plan_enter(&op->t.gate, "backward plan");
    if (st != SC_OK) return st;
    st = sc_conv_bwd_check(&op->t.p, &op->t.layer->wd, dy, dx);
    if (st == SC_OK) st = sc_tconv_op_plan(&op->t, dy, dx);
    sc_gate_plan_leave(&op->t.gate);
    return st;
}

sc_status sc_conv_bwd_run(const sc_conv_bwd *op, const float *dy, float *dx)
{
    if (!op || !dy || !dx)
        return sc_fail(SC_EINVAL, "backward run: op, dy and dx must not be NULL");
    return sc_tconv_op_run(&op->t, "backward run", dy, "dY", dx, "dX");
}

sc_status sc_conv_bwd_describe(const sc_conv_bwd *op, sc_conv_choice *out)
{
    if (!op || !out) return sc_fail(SC_EINVAL, "backward describe: op and out must not be NULL");
    return sc_tconv_op_describe(&op->t, "backward describe", out);
}

void sc_conv_bwd_destroy(sc_conv_bwd *op)
{
    if (!op) return;
    sc_tconv_plan_clear(&op->t.tp);
    sc_free(op);
}
