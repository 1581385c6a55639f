/* src/op/op_impl.h: the operators above the engines: each holds the engines' plans and the choice between them */
#ifndef SC_OP_IMPL_H
#define SC_OP_IMPL_H

#include "dense/dense_plan.h"
#include "op/run_gate.h"
#include "sconv/backward.h"
#include "sconv/conv.h"
#include "sparse/backward_impl.h"
#include "sparse/sparse_plan.h"

struct sc_conv {
    const sc_layer *layer;
    sc_conv_options opt;
    float *bias;             /* oc values (options or layer), or NULL */
    sc_spmm_params act;      /* fused activation, as the sparse kernels take it */
    int planned;
    sc_tensor x, y;          /* planned descriptors */
    sc_engine engine;        /* SC_ENGINE_SPARSE or SC_ENGINE_DENSE after a plan */
    sc_sparse_plan sp;       /* the sparse engine's plan (engine sparse), else cleared */
    sc_dense_plan dp;        /* the dense engine's plan (engine dense), else cleared */
    sc_conv_choice choice;   /* what describe returns; reason points at `reason` */
    char reason[256];
    sc_run_gate gate;        /* runs in flight, or a plan: one excludes the other */
};

/* The auto engine's measurement: time the two plans (for one shape) on scratch buffers
 * shaped like x and y, after waiting up to 0.25 s for the process's other threads to go
 * idle; the best milliseconds of each, and how long it waited (plan_measure.c). */
sc_status sc_auto_measure(const sc_sparse_plan *sp, const sc_dense_plan *dp, int threads,
                          double *ms_sparse, double *ms_dense, double *ms_waited);

/* The operator state shared by backward data and conv_transpose: one transposed plan. */
typedef struct sc_tconv_op {
    const sc_layer *layer;
    sc_conv_params p;        /* the forward conv being transposed */
    float *bias;             /* IC values (the engine's output channels), or NULL */
    sc_spmm_params act;      /* fused activation */
    int threads;
    sc_kernel_choice kernel;
    int planned;
    sc_tconv_plan tp;
    char reason[256];
    sc_run_gate gate;        /* runs in flight, or a plan: one excludes the other */
} sc_tconv_op;

struct sc_conv_bwd { sc_tconv_op t; };
struct sc_conv_transpose { sc_tconv_op t; sc_conv_transpose_params p; };

/* Build t's plan for in -> out (descriptors already checked); on success it replaces the old
 * plan and t is planned; on failure t is unchanged (tconv_op.c). */
sc_status sc_tconv_op_plan(sc_tconv_op *t, const sc_tensor *in, const sc_tensor *out);

/* Run a planned t after the gate and overlap checks; `who` names the caller. */
sc_status sc_tconv_op_run(const sc_tconv_op *t, const char *who, const float *in,
                          const char *in_name, float *out, const char *out_name);

/* Describe a planned t: the one sparse engine, nothing measured. */
sc_status sc_tconv_op_describe(const sc_tconv_op *t, const char *who, sc_conv_choice *out);

#endif
