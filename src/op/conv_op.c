/* src/op/conv_op.c: the operator lifecycle: options, create, run dispatch, describe, destroy */
#include <string.h>

#include "core/core.h"
#include "op/kernel_choice.h"
#include "op/op_impl.h"
#include "op/run_args.h"
#include "layer/layer_impl.h"

sc_conv_options sc_conv_options_default(void)
{
    return (sc_conv_options){.act = sc_activation_none(), .bias = NULL, .threads = 0,
                             .engine = SC_ENGINE_AUTO, .kernel = SC_KERNEL_AUTO,
                             .auto_mode = SC_AUTO_RULE, .accumulate = 0};
}

static sc_status check_options(const sc_conv_options *opt)
{
    sc_status st = sc_activation_check(&opt->act);
    if (st != SC_OK) return st;
    if ((st = sc_threads_check("conv", opt->threads)) != SC_OK) return st;
    if ((unsigned)opt->engine > SC_ENGINE_DENSE)
        return sc_fail(SC_EINVAL, "conv: engine %d: expected auto, sparse or dense",
                       (int)opt->engine);
    if ((unsigned)opt->auto_mode > SC_AUTO_RULE)
        return sc_fail(SC_EINVAL, "conv: auto mode %d: expected measure or rule",
                       (int)opt->auto_mode);
    if ((st = sc_kernel_choice_check("conv", opt->kernel)) != SC_OK) return st;
    if (opt->accumulate != 0 && opt->accumulate != 1)
        return sc_fail(SC_EINVAL, "conv: accumulate %d: expected 0 (write y) or 1 (add to y)",
                       opt->accumulate);
    return SC_OK;
}

sc_status sc_conv_create(const sc_layer *layer, const sc_conv_options *opt, sc_conv **out)
{
    if (!layer || !out)
        return sc_fail(SC_EINVAL, "conv_create: layer and out must not be NULL");
    sc_conv_options o = opt ? *opt : sc_conv_options_default();
    sc_status st = check_options(&o);
    if (st != SC_OK) return st;
    sc_conv *op = NULL;
    if ((st = sc_alloc_array((void **)&op, 1, sizeof *op, true, "conv: operator")) != SC_OK)
        goto done;
    atomic_init(&op->gate, 0u);
    op->layer = layer;
    op->opt = o;
    const float *bias = o.bias ? o.bias : layer->bias;
    if (bias) {
        if ((st = sc_alloc_array((void **)&op->bias, (size_t)layer->rows, sizeof(float), false,
                                 "conv: bias")) != SC_OK)
            goto done;
        memcpy(op->bias, bias, (size_t)layer->rows * sizeof(float));
    }
    op->opt.bias = op->bias;
    op->act = sc_spmm_params_for(&o.act);
    *out = op;
    op = NULL;
done:
    sc_conv_destroy(op);
    return st;
}

sc_status sc_conv_run(const sc_conv *op, const float *x, float *y)
{
    if (!op || !x || !y) return sc_fail(SC_EINVAL, "conv_run: op, x and y must not be NULL");
    /* create allocated the operator, so its gate may change through this const pointer */
    sc_run_gate *gate = (sc_run_gate *)&op->gate;
    sc_status st = sc_gate_run_enter(gate, "conv_run");
    if (st != SC_OK) return st;
    if (!op->planned)
        st = sc_fail(SC_ESTATE, "conv_run: the operator has not been planned");
    else
        st = sc_run_check_overlap("conv_run", op->layer, &op->x, x, "the input x", &op->y, y, 0,
                                  "the output y");
    if (st == SC_OK)
        st = op->engine == SC_ENGINE_SPARSE ? sc_sparse_run(&op->sp, x, y)
                                            : sc_dense_run(&op->dp, x, y);
    sc_gate_run_leave(gate);
    return st;
}

sc_status sc_conv_describe(const sc_conv *op, sc_conv_choice *out)
{
    if (!op || !out) return sc_fail(SC_EINVAL, "conv_describe: op and out must not be NULL");
    if (!op->planned)
        return sc_fail(SC_ESTATE, "conv_describe: the operator has not been planned");
    *out = op->choice;
    out->reason = op->reason;
    return SC_OK;
}

void sc_conv_destroy(sc_conv *op)
{
    if (!op) return;
    sc_sparse_plan_clear(&op->sp);
    sc_dense_plan_clear(&op->dp);
    sc_free(op->bias);
    sc_free(op);
}
