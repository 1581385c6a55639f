/* src/op/wgrad_op.c: the public masked weight gradient: options and argument checks, then the engine */
#include "core/core.h"
#include "op/kernel_choice.h"
#include "op/run_args.h"
#include "sconv/backward.h"
#include "layer/layer_impl.h"
#include "sparse/weight_grad.h"

sc_wgrad_options sc_wgrad_options_default(void)
{
    return (sc_wgrad_options){.threads = 0, .kernel = SC_KERNEL_AUTO};
}

sc_status sc_conv_wgrad(const sc_layer *layer, const sc_wgrad_options *opt,
                        const sc_tensor *xd, const float *x, const sc_tensor *dyd,
                        const float *dy, float *dw)
{
    if (!layer || !xd || !x || !dyd || !dy || !dw)
        return sc_fail(SC_EINVAL, "weight gradient: NULL argument (layer, descriptors and "
                       "buffers are required)");
    const sc_wgrad_options o = opt ? *opt : sc_wgrad_options_default();
    sc_status st = sc_threads_check("weight gradient", o.threads);
    if (st == SC_OK) st = sc_kernel_choice_check("weight gradient", o.kernel);
    if (st == SC_OK) st = sc_conv_wgrad_check(&layer->params, &layer->wd, xd, dyd);
    const size_t dw_bytes = (size_t)layer->nnz * sizeof(float);
    if (st == SC_OK)
        st = sc_run_check_overlap("weight gradient", layer, xd, x, "x", NULL, dw, dw_bytes, "dW");
    if (st == SC_OK)
        st = sc_run_check_overlap("weight gradient", layer, dyd, dy, "dY", NULL, dw, dw_bytes,
                                  "dW");
    if (st != SC_OK) return st;
    return sc_wgrad_run(layer, xd, x, dyd, dy, dw, o.threads, sc_kernel_features(o.kernel));
}
