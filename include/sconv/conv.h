/* include/sconv/conv.h: the sparse convolution operator, create -> plan -> run */
#ifndef SCONV_CONV_H
#define SCONV_CONV_H

#include "sconv/layer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_engine {
    SC_ENGINE_AUTO = 0,  /* sparse or dense, chosen by the planner (sc_conv_describe says why) */
    SC_ENGINE_SPARSE,
    SC_ENGINE_DENSE
} sc_engine;

/* The environment variable SCONV_ISA=portable|avx2|avx512 caps every choice below for the
 * whole process (read once; a level the CPU lacks gives the highest it has, other text is
 * ignored): auto picks at most that level, and a request above it is refused like one the
 * CPU lacks (docs/kernels.md). */
typedef enum sc_kernel_choice {
    SC_KERNEL_AUTO = 0,   /* the best the CPU supports (and SCONV_ISA allows): AVX-512, else
                             AVX2, else portable */
    SC_KERNEL_PORTABLE,   /* portable C twins only (tests) */
    SC_KERNEL_AVX2,       /* AVX2+FMA; SC_EUNSUPPORTED on a CPU without them */
    SC_KERNEL_AVX512      /* AVX-512 row kernels (F/BW/DQ/VL), AVX2 for the rest (block
                             kernels, transposes); SC_EUNSUPPORTED on a CPU without them */
} sc_kernel_choice;

/* How the auto engine chooses between sparse and dense (depthwise layers are always sparse). */
typedef enum sc_auto_mode {
    SC_AUTO_MEASURE = 0,  /* time both engines on the planned shape (scratch buffers, 2 ms of
                             warm-up and 2-3 timed runs of each, once per plan, after waiting
                             up to 0.25 s for the program's other threads to stop running) and
                             keep the faster: right on any machine, but two plans of one layer
                             may choose differently near break-even */
    SC_AUTO_RULE          /* the default: fixed sparsity thresholds measured on the
                             development machine (docs/kernels.md), one table per level of
                             the sparse kernels (AVX2 rows pay at lower sparsities than
                             AVX-512 ones): free and deterministic (one layer, shape and
                             kernel level always get the same engine and bits); blind to the
                             machine beyond its kernel level */
} sc_auto_mode;

typedef struct sc_conv_options {
    sc_activation act;        /* fused after the bias */
    const float *bias;        /* oc values overriding the layer's bias, or NULL (copied by create) */
    int threads;              /* OpenMP threads, 0..SC_THREADS_MAX; 0 = the OpenMP default */
    sc_engine engine;
    sc_kernel_choice kernel;
    sc_auto_mode auto_mode;   /* only read when engine is SC_ENGINE_AUTO */
    int accumulate;           /* 1: y = act(conv(x) + bias + y): y's previous contents (a
                                 residual) are added before the activation; 0: y is only
                                 written */
} sc_conv_options;

/* No activation, the layer's bias, default threads, auto engine (by the rule) and kernel,
 * no accumulation. */
SC_API sc_conv_options sc_conv_options_default(void);

typedef struct sc_conv sc_conv;

/* Calls on one operator from several threads:
 *   run with run         allowed (on different y buffers); results are the same bits
 *   plan with run        refused, not raced: a plan finding a run in flight returns
 *                        SC_ESTATE and changes nothing; a run starting during a plan returns
 *                        SC_ESTATE and writes nothing (call plan when your runs are done)
 *   plan with plan       the second returns SC_ESTATE
 *   describe             reads what plan writes: not during a plan (not checked)
 *   destroy              after every other call on the operator has returned (not checked)
 * The layer is only read: it must outlive the operator, and stay alive through every call. */

/* Check options and borrow the packed weights (the layer must outlive the operator). */
SC_API sc_status sc_conv_create(const sc_layer *layer, const sc_conv_options *opt, sc_conv **out);

/* Bind input and output descriptors (any strides), pick the engine and kernel,
 * precompute offsets and the thread split. May be called again for a new shape, once no run
 * is in flight (SC_ESTATE otherwise, see above). */
SC_API sc_status sc_conv_plan(sc_conv *op, const sc_tensor *x, const sc_tensor *y);

/* y = act(conv(x) + bias) through the planned descriptors, or y = act(conv(x) + bias + y)
 * with options.accumulate (y's view is then read first: a residual added before the
 * activation). Reads x, writes every element of y's view and nothing else. On every engine, a y view that shares a byte with
 * x's view or with the layer's packed arrays (values, indices, row pointers, bias) is
 * refused with SC_EINVAL before anything is written. Either engine keeps one
 * scratch block in the operator's plan from one call to the next (freed by sc_conv_destroy or
 * a new plan); a call that finds it in use by another allocates its own, so it is safe to
 * call concurrently on different buffers. Results do not depend on the thread count
 * (bitwise); on the dense engine's oneDNN path this is checked by the tests for the oneDNN
 * implementations it accepts, not promised by oneDNN (docs/kernels.md, "The dense engine").
 * SC_ESTATE while a plan of this operator is in flight. */
SC_API sc_status sc_conv_run(const sc_conv *op, const float *x, float *y);

/* What a plan chose, as fields; programs read the fields, `reason` is for people. */
typedef struct sc_conv_choice {
    sc_engine engine;     /* SC_ENGINE_SPARSE or SC_ENGINE_DENSE: what run will use */
    const char *kernel;   /* e.g. "spmm_f32_64__avx2", "dense_onednn:<oneDNN implementation>" or
                             "dense_im2col_sgemm"; valid until the next plan or destroy */
    const char *reason;   /* one sentence for printing: why this engine and kernel */
    int measured;         /* 1: the auto engine timed both engines at plan (SC_AUTO_MEASURE) */
    double ms_sparse;     /* measured: the best ms of a sparse run; otherwise NAN (no model) */
    double ms_dense;      /* measured: the best ms of a dense run; otherwise NAN */
    double ms_waited;     /* ms the plan waited for other threads to go idle (0 unless measured) */
    sc_engine rule;       /* the engine the fixed thresholds pick for this layer */
    double sparsity;      /* the layer's sparsity, 1 - nnz / numel */
    double threshold;     /* the rule's break-even sparsity for this layer (sparse at or above
                             it); 0 for layers with one input channel per group (always sparse) */
} sc_conv_choice;

/* What the last plan chose, and why. SC_ESTATE before a plan. The strings stay valid until
 * the next plan or destroy. The transposed and backward operators have one engine: engine
 * SC_ENGINE_SPARSE, measured 0, the ms NAN, rule SC_ENGINE_SPARSE, threshold 0. */
SC_API sc_status sc_conv_describe(const sc_conv *op, sc_conv_choice *out);

/* NULL is fine. */
SC_API void sc_conv_destroy(sc_conv *op);

#ifdef __cplusplus
}
#endif
#endif
