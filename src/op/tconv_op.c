/* src/op/tconv_op.c: plan, run and describe of the transposed operators (backward data, conv_transpose) */
#include <math.h>
#include <stdio.h>

#include "core/core.h"
#include "op/kernel_choice.h"
#include "op/op_impl.h"
#include "op/run_args.h"

sc_status sc_tconv_op_plan(sc_tconv_op *t, const sc_tensor *in, const sc_tensor *out)
{
    const sc_tconv_options o = {.allowed = sc_kernel_features(t->kernel), .threads = t->threads,
                                .act = t->act, .bias = t->bias};
    sc_tconv_plan tp;
    sc_status st = sc_tconv_plan_build(t->layer, &t->p, in, out, &o, &tp);
    if (st != SC_OK) return st;
    sc_tconv_plan_clear(&t->tp);
    t->tp = tp;
    snprintf(t->reason, sizeof t->reason, "sparse transposed conv: %lld phase(s), dY %s, "
             "%lld reduction block(s) of %lld channels, tiles %s", (long long)tp.n_phase,
             tp.d.in_place ? "read in place"
             : tp.d.panel  ? "gathered per tile into channel-major panels"
                         : "copied into zero-framed planes",
             (long long)tp.d.n_cb, (long long)tp.cb_ch,
             tp.d.direct_y ? "stored directly" : "stored through the output descriptor");
    t->planned = 1;
    return SC_OK;
}

sc_status sc_tconv_op_run(const sc_tconv_op *t, const char *who, const float *in,
                          const char *in_name, float *out, const char *out_name)
{
    sc_run_gate *gate = (sc_run_gate *)&t->gate;  /* create allocated t: not const */
    sc_status st = sc_gate_run_enter(gate, who);
    if (st != SC_OK) return st;
    if (!t->planned)
        st = sc_fail(SC_ESTATE, "%s: the operator has not been planned", who);
    else
        st = sc_run_check_overlap(who, t->layer, &t->tp.in, in, in_name, &t->tp.out, out, 0,
                                  out_name);
    if (st == SC_OK) st = sc_tconv_run(&t->tp, in, out);
    sc_gate_run_leave(gate);
    return st;
}

sc_status sc_tconv_op_describe(const sc_tconv_op *t, const char *who, sc_conv_choice *out)
{
    if (!t->planned) return sc_fail(SC_ESTATE, "%s: the operator has not been planned", who);
    sc_layer_info info;
    sc_status st = sc_layer_get_info(t->layer, &info);
    if (st != SC_OK) return st;
    *out = (sc_conv_choice){.engine = SC_ENGINE_SPARSE, .kernel = t->tp.d.kit.chain[0]->name,
                            .reason = t->reason, .measured = 0, .ms_sparse = NAN,
                            .ms_dense = NAN, .ms_waited = 0, .rule = SC_ENGINE_SPARSE,
                            .sparsity = info.sparsity, .threshold = 0};
    return SC_OK;
}
