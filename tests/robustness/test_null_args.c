/* tests/robustness/test_null_args.c: every public function with NULL in each pointer argument
 * in turn returns SC_EINVAL (or does what its header documents for NULL), never crashes */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/layer.h"
#include "robust_util.h"
#include "sconv.h"

/* One call with argument `nul` (0-based among the pointer arguments) replaced by NULL. */
typedef void (*null_case_fn)(int nul);

typedef struct null_case {
    const char *name;   /* the public function */
    int n_ptr;          /* its pointer arguments */
    null_case_fn fn;
} null_case;

static const char *cur;  /* the function under test, for messages */
static int cur_arg;

#define A(i, p) (nul == (i) ? NULL : (p))
#define EINVAL(call)                                                                      \
    do {                                                                                  \
        const sc_status st_ = (call);                                                     \
        cr_expect_eq(st_, SC_EINVAL, "%s, NULL argument %d: %s (%s), expected SC_EINVAL", \
                     cur, cur_arg, sc_strerror(st_), sc_last_message());                  \
        cr_expect(strlen(sc_last_message()) > 0, "%s: no message", cur);                  \
    } while (0)
/* A NULL documented as a default (options, bias, activation, mask, layer name). */
#define OK_OR_EINVAL(ok_arg, call)                                                        \
    do {                                                                                  \
        const sc_status st_ = (call);                                                     \
        const sc_status want_ = nul == (ok_arg) ? SC_OK : SC_EINVAL;                      \
        cr_expect_eq(st_, want_, "%s, NULL argument %d: %s (%s), expected %s", cur,       \
                     cur_arg, sc_strerror(st_), sc_last_message(), sc_strerror(want_));   \
    } while (0)

/* Shared valid arguments: a 4 x 2 x 3 x 3 conv, pad 1, on 1 x 2 x 5 x 5 activations. */
enum { OC = 4, ICG = 2, K = 3, HW = 5, NW = OC * ICG * K * K, NX = ICG * HW * HW,
       NY = OC * HW * HW };
static const sc_wdesc wd = {SC_OIHW, OC, ICG, K, K};
static float w[NW], x[NX], y[NY], bias[OC];
static sc_conv_params prm;
static sc_tensor xd, yd;
static char dir[256], sconv_path[512], npy_path[512];

static sc_layer *layer(void)
{
    return ct_pack(&(ct_layer_spec){.wd = wd, .params = &prm}, w, NULL);
}

static void setup(void)
{
    rb_fill(w, NW, 0.5, 3);
    rb_fill(x, NX, 1.0, 4);
    rb_fill(bias, OC, 1.0, 5);
    prm = sc_conv_params_default();
    prm.pad_top = prm.pad_left = prm.pad_bottom = prm.pad_right = 1;
    xd = sc_tensor_nchw(1, ICG, HW, HW);
    yd = sc_tensor_nchw(1, OC, HW, HW);
    rb_make_dir(dir);
    rb_path(sconv_path, dir, "m.sconv");
    rb_path(npy_path, dir, "a.npy");
    sc_layer *l = layer();
    const sc_layer *ls[1] = {l};
    cr_assert_eq(sc_file_write(sconv_path, ls, 1), SC_OK, "%s", sc_last_message());
    sc_layer_destroy(l);
    const int64_t shape[1] = {3};
    cr_assert_eq(sc_npy_write(npy_path, 1, shape, w), SC_OK, "%s", sc_last_message());
}

static void teardown(void) { rb_remove_dir(dir); }

/* ---- base.h, tensor.h, weights.h, conv_params.h ---- */

static void c_none(int nul) { (void)nul; }  /* no pointer argument: nothing to pass NULL to */

static void c_tensor_slice_c(int nul)
{
    const sc_tensor s = sc_tensor_slice_c(A(0, &xd), 0, 1);
    cr_expect_eq(s.dims[SC_C], 0, "a NULL descriptor gives an empty slice");
    cr_expect_eq(sc_tensor_check(&s, 0, "slice"), SC_EINVAL);
}
static void c_tensor_offset(int nul) { cr_expect_eq(sc_tensor_offset(A(0, &xd), 0, 1, 0, 0), -1); }
static void c_tensor_check(int nul) { OK_OR_EINVAL(1, sc_tensor_check(A(0, &xd), 1, A(1, "x"))); }
static void c_tensor_span(int nul) { cr_expect_eq(sc_tensor_span(A(0, &xd)), 0); }
static void c_tensor_numel(int nul) { cr_expect_eq(sc_tensor_numel(A(0, &xd)), 0); }
static void c_tensor_copy(int nul)
{
    float dst[NX];
    EINVAL(sc_tensor_copy(A(0, &xd), A(1, x), A(2, &xd), A(3, dst)));
}
static void c_wlayout_parse(int nul)
{
    sc_wlayout l;
    EINVAL(sc_wlayout_parse(A(0, "hwio"), A(1, &l)));
}
static void c_wdesc_shape(int nul)
{
    int64_t shape[4] = {7, 7, 7, 7};
    sc_wdesc_shape(A(0, &wd), A(1, shape));
    if (nul == 0)
        for (int d = 0; d < 4; ++d) cr_expect_eq(shape[d], 0, "a NULL descriptor: zeros");
}
static void c_wdesc_from_shape(int nul)
{
    const int64_t shape[4] = {3, 3, 2, 4};
    sc_wdesc out = {SC_OIHW, 9, 9, 9, 9};
    EINVAL(sc_wdesc_from_shape(SC_HWIO, A(0, shape), A(1, &out)));
    cr_expect_eq(out.oc, 9, "the output was written");
}
static void c_wdesc_check(int nul) { EINVAL(sc_wdesc_check(A(0, &wd))); }
static void c_wdesc_numel(int nul) { cr_expect_eq(sc_wdesc_numel(A(0, &wd)), 0); }
static void c_wdesc_index(int nul) { cr_expect_eq(sc_wdesc_index(A(0, &wd), 0, 0, 0, 0), -1); }
static void c_wlayout_perm(int nul) { sc_wlayout_perm(SC_OIHW, SC_HWIO, A(0, (int[4]){0})); }
static void c_weights_convert(int nul)
{
    float dst[NW];
    EINVAL(sc_weights_convert(A(0, &wd), A(1, w), SC_HWIO, A(2, dst)));
}
static void c_conv_params_check(int nul) { EINVAL(sc_conv_params_check(A(0, &prm))); }
static void c_conv_output_hw(int nul)
{
    int64_t oh = -7, ow = -7;
    EINVAL(sc_conv_output_hw(A(0, &prm), K, K, HW, HW, A(1, &oh), A(2, &ow)));
    cr_expect(oh == -7 && ow == -7, "outputs written on failure");
}
static void c_conv_check(int nul) { EINVAL(sc_conv_check(A(0, &prm), A(1, &wd), A(2, &xd), A(3, &yd))); }
static void c_activation_check(int nul)
{
    const sc_activation a = sc_activation_relu();
    OK_OR_EINVAL(0, sc_activation_check(A(0, &a)));  /* NULL means none */
}

/* ---- dense.h ---- */

static void c_conv_reference(int nul)
{
    const sc_activation a = sc_activation_relu();
    OK_OR_EINVAL(3 + (nul == 4), sc_conv_reference(A(0, &prm), A(1, &wd), A(2, w), A(3, bias),
                                                   A(4, &a), A(5, &xd), A(6, x), A(7, &yd),
                                                   A(8, y)));
}
static void c_conv_dense(int nul)
{
    const sc_activation a = sc_activation_relu();
    OK_OR_EINVAL(3 + (nul == 4), sc_conv_dense(A(0, &prm), A(1, &wd), A(2, w), A(3, bias),
                                               A(4, &a), A(5, &xd), A(6, x), A(7, &yd), A(8, y),
                                               1));
}
static void c_blas_fix_core(int nul) { sc_blas_fix_core(A(0, (char **)NULL)); }

/* ---- npy.h ---- */

static void c_npy_read(int nul)
{
    sc_array a = {0};
    EINVAL(sc_npy_read(A(0, npy_path), A(1, &a)));
    cr_expect_null(a.data);
}
static void c_npy_parse(int nul)
{
    static const char buf[] = "\x93NUMPY";
    sc_array a = {0};
    EINVAL(sc_npy_parse(A(0, buf), sizeof buf, A(1, &a)));
}
static void c_npy_write(int nul)
{
    char path[512];
    rb_path(path, dir, "b.npy");
    const int64_t shape[1] = {3};
    EINVAL(sc_npy_write(A(0, path), 1, A(1, shape), A(2, w)));
}
static void c_array_release(int nul) { sc_array_release(A(0, (sc_array *)NULL)); }

/* ---- prune.h ---- */

static void c_prune_spec_check(int nul)
{
    const sc_prune_spec s = sc_prune_spec_default();
    EINVAL(sc_prune_spec_check(A(0, &s)));
}
static void c_prune_spec_parse(int nul)
{
    sc_prune_spec s = sc_prune_spec_default();
    EINVAL(sc_prune_spec_parse(A(0, "l1"), A(1, &s)));
}
static void c_prune_convention_parse(int nul)
{
    sc_prune_convention c;
    EINVAL(sc_prune_convention_parse(A(0, "torch"), A(1, &c)));
}
static void c_prune_spec_describe(int nul)
{
    const sc_prune_spec s = sc_prune_spec_default();
    char buf[256];
    EINVAL(sc_prune_spec_describe(A(0, &s), A(1, buf), sizeof buf));
}
static void c_prune_mask(int nul)
{
    const sc_prune_spec s = sc_prune_spec_default();
    uint8_t mask[NW];
    EINVAL(sc_prune_mask(A(0, &s), A(1, &wd), A(2, w), A(3, mask)));
}
static void c_prune_mask_global(int nul)
{
    sc_prune_spec s = sc_prune_spec_default();
    s.method = SC_PRUNE_GLOBAL;
    uint8_t mask[NW];
    const sc_wdesc *wds[1] = {&wd};
    const float *ws[1] = {w};
    uint8_t *masks[1] = {mask};
    EINVAL(sc_prune_mask_global(A(0, &s), 1, A(1, wds), A(2, ws), A(3, masks)));
}

/* ---- pack_order.h, layer.h ---- */

static void c_pack_order_parse(int nul)
{
    sc_pack_order o;
    EINVAL(sc_pack_order_parse(A(0, "nhwc"), A(1, &o)));
}
static void c_layer_kind_parse(int nul)
{
    sc_layer_kind k;
    EINVAL(sc_layer_kind_parse(A(0, "conv"), A(1, &k)));
}
static void c_layer_check_kind(int nul) { EINVAL(sc_layer_check_kind(SC_LAYER_CONV, A(0, &prm), 0, 0)); }
static void c_layer_pack(int nul)
{
    uint8_t mask[NW];
    memset(mask, 1, sizeof mask);
    const sc_pack_options po = sc_pack_options_default();
    sc_layer *l = NULL;
    const sc_status st = sc_layer_pack(A(0, &wd), A(1, w), A(2, mask), A(3, &po), A(4, &l));
    cr_expect_eq(st, nul == 2 ? SC_OK : SC_EINVAL, "%s, NULL argument %d: %s (%s)", cur, nul,
                 sc_strerror(st), sc_last_message());  /* a NULL mask keeps every nonzero */
    sc_layer_destroy(l);
}
static void c_layer_unpack(int nul)
{
    sc_layer *l = layer();
    float dst[NW];
    EINVAL(sc_layer_unpack(A(0, l), SC_OIHW, A(1, dst)));
    sc_layer_destroy(l);
}
static void c_layer_clone(int nul)
{
    sc_layer *l = layer(), *c = NULL;
    EINVAL(sc_layer_clone(A(0, l), A(1, &c)));
    cr_expect_null(c);
    sc_layer_destroy(l);
}
static void c_layer_destroy(int nul) { sc_layer_destroy(A(0, (sc_layer *)NULL)); }
static void c_csr_col(int nul)
{
    sc_layer *l = layer();
    sc_csr_view v;
    cr_assert_eq(sc_layer_get_csr(l, &v), SC_OK);
    cr_expect_eq(sc_csr_col(A(0, &v), 0), nul == 0 ? -1 : sc_csr_col(&v, 0));
    sc_layer_destroy(l);
}
#define LAYER_GETTER(fn, type)                    \
    static void c_##fn(int nul)                   \
    {                                             \
        sc_layer *l = layer();                    \
        type out;                                 \
        EINVAL(sc_##fn(A(0, l), A(1, &out)));     \
        sc_layer_destroy(l);                      \
    }
LAYER_GETTER(layer_get_info, sc_layer_info)
LAYER_GETTER(layer_get_csr, sc_csr_view)
LAYER_GETTER(layer_get_stats, sc_layer_stats)

/* ---- file.h ---- */

static void c_file_write(int nul)
{
    sc_layer *l = layer();
    const sc_layer *ls[1] = {l};
    char path[512];
    rb_path(path, dir, "w.sconv");
    EINVAL(sc_file_write(A(0, path), A(1, ls), 1));
    sc_layer_destroy(l);
}
static void c_layer_load(int nul)
{
    sc_layer *l = NULL;
    OK_OR_EINVAL(1, sc_layer_load(A(0, sconv_path), A(1, "layer"), A(2, &l)));  /* NULL: the one */
    sc_layer_destroy(l);
}
static void c_file_read(int nul)
{
    sc_layer **ls = NULL;
    size_t n = 0;
    EINVAL(sc_file_read(A(0, sconv_path), A(1, &ls), A(2, &n)));
    sc_layers_destroy(ls, n);
}
static void c_file_parse(int nul)
{
    size_t len = 0;
    uint8_t *buf = rb_read_bytes(sconv_path, &len);
    sc_layer **ls = NULL;
    size_t n = 0;
    EINVAL(sc_file_parse(A(0, buf), len, A(1, &ls), A(2, &n)));
    sc_layers_destroy(ls, n);
    free(buf);
}
static void c_layers_destroy(int nul) { sc_layers_destroy(A(0, (sc_layer **)NULL), 3); }

/* ---- conv.h ---- */

static sc_conv *conv_op(int planned)
{
    static sc_layer *l;  /* lives until the process ends: each case runs in its own */
    if (!l) l = layer();
    sc_conv_options o = sc_conv_options_default();
    o.engine = SC_ENGINE_SPARSE;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(l, &o, &op), SC_OK);
    if (planned) cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    return op;
}
static void c_conv_create(int nul)
{
    sc_layer *l = layer();
    const sc_conv_options o = sc_conv_options_default();
    sc_conv *op = NULL;
    OK_OR_EINVAL(1, sc_conv_create(A(0, l), A(1, &o), A(2, &op)));  /* NULL options: defaults */
    sc_conv_destroy(op);
    sc_layer_destroy(l);
}
static void c_conv_plan(int nul)
{
    sc_conv *op = conv_op(0);
    EINVAL(sc_conv_plan(A(0, op), A(1, &xd), A(2, &yd)));
    sc_conv_destroy(op);
}
static void c_conv_run(int nul)
{
    sc_conv *op = conv_op(1);
    EINVAL(sc_conv_run(A(0, op), A(1, x), A(2, y)));
    sc_conv_destroy(op);
}
static void c_conv_describe(int nul)
{
    sc_conv *op = conv_op(1);
    sc_conv_choice ch;
    EINVAL(sc_conv_describe(A(0, op), A(1, &ch)));
    sc_conv_destroy(op);
}
static void c_conv_destroy(int nul) { sc_conv_destroy(A(0, (sc_conv *)NULL)); }

/* ---- backward.h: dY (1, 4, 5, 5) -> dX (1, 2, 5, 5); the transposed conv maps the layer's
 * oc = Cin = 4 channels to icg = Cout = 2, the same extents ---- */

/* One case of an operator sc_P made by MAKE(layer, planned): DECL, then CALL must fail. */
#define OP_CASE(P, MAKE, NAME, PLANNED, DECL, CALL) \
    static void c_##P##_##NAME(int nul)             \
    {                                               \
        sc_layer *l = layer();                      \
        sc_##P *op = MAKE(l, PLANNED);              \
        DECL;                                       \
        EINVAL(CALL);                               \
        sc_##P##_destroy(op);                       \
        sc_layer_destroy(l);                        \
    }
/* plan, run and describe of an operator from dY-shaped input to dX-shaped output; SEED
 * fills the input. */
#define OP_CASES(P, MAKE, SEED)                                                           \
    OP_CASE(P, MAKE, plan, 0, (void)0, sc_##P##_plan(A(0, op), A(1, &yd), A(2, &xd)))     \
    OP_CASE(P, MAKE, run, 1, float in[NY]; float out[NX]; rb_fill(in, NY, 1.0, SEED),     \
            sc_##P##_run(A(0, op), A(1, in), A(2, out)))                                  \
    OP_CASE(P, MAKE, describe, 1, sc_conv_choice ch, sc_##P##_describe(A(0, op), A(1, &ch)))

static sc_conv_transpose_params tprm(void)
{
    sc_conv_transpose_params p = sc_conv_transpose_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    return p;
}
static void c_conv_bwd_create(int nul)
{
    sc_layer *l = layer();
    const sc_conv_bwd_options o = sc_conv_bwd_options_default();
    sc_conv_bwd *op = NULL;
    OK_OR_EINVAL(1, sc_conv_bwd_create(A(0, l), A(1, &o), A(2, &op)));
    sc_conv_bwd_destroy(op);
    sc_layer_destroy(l);
}
static sc_conv_bwd *bwd_op(sc_layer *l, int planned)
{
    sc_conv_bwd *op = NULL;
    cr_assert_eq(sc_conv_bwd_create(l, NULL, &op), SC_OK);
    if (planned) cr_assert_eq(sc_conv_bwd_plan(op, &yd, &xd), SC_OK, "%s", sc_last_message());
    return op;
}
OP_CASES(conv_bwd, bwd_op, 6)
static void c_conv_bwd_destroy(int nul) { sc_conv_bwd_destroy(A(0, (sc_conv_bwd *)NULL)); }
static void c_conv_transpose_output_hw(int nul)
{
    const sc_conv_transpose_params p = tprm();
    int64_t oh = -7, ow = -7;
    EINVAL(sc_conv_transpose_output_hw(A(0, &p), K, K, HW, HW, A(1, &oh), A(2, &ow)));
    cr_expect(oh == -7 && ow == -7, "outputs written on failure");
}
static void c_conv_transpose_forward_params(int nul)
{
    const sc_conv_transpose_params p = tprm();
    const sc_conv_params f = sc_conv_transpose_forward_params(A(0, &p));
    cr_expect_eq(sc_conv_params_check(&f), SC_EINVAL, "a NULL gives invalid (zero) params");
}
static sc_conv_transpose *tconv_op(sc_layer *l, int planned)
{
    const sc_conv_transpose_params p = tprm();
    sc_conv_transpose *op = NULL;
    cr_assert_eq(sc_conv_transpose_create(l, &p, NULL, &op), SC_OK, "%s", sc_last_message());
    if (planned)
        cr_assert_eq(sc_conv_transpose_plan(op, &yd, &xd), SC_OK, "%s", sc_last_message());
    return op;
}
static void c_conv_transpose_create(int nul)
{
    sc_layer *l = layer();
    const sc_conv_transpose_params p = tprm();
    const sc_conv_transpose_options o = sc_conv_transpose_options_default();
    sc_conv_transpose *op = NULL;
    OK_OR_EINVAL(2, sc_conv_transpose_create(A(0, l), A(1, &p), A(2, &o), A(3, &op)));
    sc_conv_transpose_destroy(op);
    sc_layer_destroy(l);
}
OP_CASES(conv_transpose, tconv_op, 7)
static void c_conv_transpose_destroy(int nul)
{
    sc_conv_transpose_destroy(A(0, (sc_conv_transpose *)NULL));
}
static void c_conv_wgrad(int nul)
{
    sc_layer *l = layer();
    const sc_wgrad_options o = sc_wgrad_options_default();
    float dy[NY], dw[NW];
    rb_fill(dy, NY, 1.0, 8);
    OK_OR_EINVAL(1, sc_conv_wgrad(A(0, l), A(1, &o), A(2, &xd), A(3, x), A(4, &yd), A(5, dy),
                                  A(6, dw)));
    sc_layer_destroy(l);
}
static void c_conv_bwd_check(int nul) { EINVAL(sc_conv_bwd_check(A(0, &prm), A(1, &wd), A(2, &yd), A(3, &xd))); }
static void c_conv_transpose_check(int nul)
{
    const sc_conv_transpose_params p = tprm();
    EINVAL(sc_conv_transpose_check(A(0, &p), A(1, &wd), A(2, &yd), A(3, &xd)));
}
static void c_conv_wgrad_check(int nul) { EINVAL(sc_conv_wgrad_check(A(0, &prm), A(1, &wd), A(2, &xd), A(3, &yd))); }
static void c_conv_bwd_data_reference(int nul)
{
    float dy[NY], dx[NX];
    rb_fill(dy, NY, 1.0, 9);
    EINVAL(sc_conv_bwd_data_reference(A(0, &prm), A(1, &wd), A(2, w), A(3, &yd), A(4, dy),
                                      A(5, &xd), A(6, dx)));
}
static void c_conv_transpose_reference(int nul)
{
    const sc_conv_transpose_params p = tprm();
    const sc_activation a = sc_activation_relu();
    float in[NY], out[NX];
    rb_fill(in, NY, 1.0, 10);
    OK_OR_EINVAL(3 + (nul == 4), sc_conv_transpose_reference(A(0, &p), A(1, &wd), A(2, w),
                                                             A(3, bias), A(4, &a), A(5, &yd),
                                                             A(6, in), A(7, &xd), A(8, out)));
}
static void c_conv_wgrad_reference(int nul)
{
    float dy[NY], dw[NW];
    rb_fill(dy, NY, 1.0, 11);
    EINVAL(sc_conv_wgrad_reference(A(0, &prm), A(1, &wd), A(2, &xd), A(3, x), A(4, &yd),
                                   A(5, dy), A(6, dw)));
}

#define C(fn, n) {"sc_" #fn, n, c_##fn}
#define NONE(fn) {"sc_" #fn, 0, c_none}
static const null_case cases[] = {
    NONE(strerror), NONE(last_message), NONE(version), NONE(set_alloc_limit),
    NONE(get_alloc_limit),
    NONE(tensor_nchw), NONE(tensor_nhwc), C(tensor_slice_c, 1), C(tensor_offset, 1),
    C(tensor_check, 2), C(tensor_span, 1), C(tensor_numel, 1), C(tensor_copy, 4),
    NONE(wlayout_name), C(wlayout_parse, 2), C(wdesc_shape, 2), C(wdesc_from_shape, 2),
    C(wdesc_check, 1), C(wdesc_numel, 1), C(wdesc_index, 1), C(wlayout_perm, 1),
    C(weights_convert, 3),
    NONE(conv_params_default), C(conv_params_check, 1), C(conv_output_hw, 3), C(conv_check, 4),
    NONE(activation_none), NONE(activation_relu), NONE(activation_relu6),
    NONE(activation_clamp), C(activation_check, 1), NONE(activation_name),
    C(conv_reference, 9), C(conv_dense, 9), NONE(blas_core), NONE(blas_core_suggestion),
    C(blas_fix_core, 1),
    C(npy_read, 2), C(npy_parse, 2), C(npy_write, 3), C(array_release, 1),
    NONE(prune_spec_default), C(prune_spec_check, 1), C(prune_spec_parse, 2),
    NONE(prune_method_name), NONE(prune_convention_name), C(prune_convention_parse, 2),
    C(prune_spec_describe, 2), C(prune_mask, 4), C(prune_mask_global, 4),
    NONE(pack_order_name), C(pack_order_parse, 2), NONE(layer_kind_name),
    C(layer_kind_parse, 2), C(layer_check_kind, 1), NONE(pack_options_default),
    C(layer_pack, 5), C(layer_unpack, 2), C(layer_clone, 2), C(layer_destroy, 1),
    C(csr_col, 1), C(layer_get_info, 2), C(layer_get_csr, 2), C(layer_get_stats, 2),
    C(file_write, 2), C(layer_load, 3), C(file_read, 3), C(file_parse, 3),
    C(layers_destroy, 1),
    NONE(conv_options_default), C(conv_create, 3), C(conv_plan, 3), C(conv_run, 3),
    C(conv_describe, 2), C(conv_destroy, 1),
    NONE(conv_bwd_options_default), C(conv_bwd_create, 3), C(conv_bwd_plan, 3),
    C(conv_bwd_run, 3), C(conv_bwd_describe, 2), C(conv_bwd_destroy, 1),
    NONE(conv_transpose_params_default), C(conv_transpose_output_hw, 3),
    C(conv_transpose_forward_params, 1), NONE(conv_transpose_options_default),
    C(conv_transpose_create, 4), C(conv_transpose_plan, 3), C(conv_transpose_run, 3),
    C(conv_transpose_describe, 2), C(conv_transpose_destroy, 1),
    NONE(wgrad_options_default), C(conv_wgrad, 7), C(conv_bwd_check, 4),
    C(conv_transpose_check, 4), C(conv_wgrad_check, 4), C(conv_bwd_data_reference, 7),
    C(conv_transpose_reference, 9), C(conv_wgrad_reference, 7),
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* Parameters are indices: each case runs in a fresh process, where pointers of the parent
 * would not be valid. */
ParameterizedTestParameters(null_args, each_pointer_argument)
{
    static int idx[N_CASES];
    for (size_t i = 0; i < N_CASES; ++i) idx[i] = (int)i;
    return cr_make_param_array(int, idx, N_CASES);
}

ParameterizedTest(int *i, null_args, each_pointer_argument, .init = setup, .fini = teardown)
{
    const null_case *c = &cases[*i];
    cur = c->name;
    cr_log_info("%s: %d pointer arguments", c->name, c->n_ptr);
    for (int k = 0; k < c->n_ptr; ++k) {
        cur_arg = k;
        fprintf(stderr, "null_args: %s argument %d\n", c->name, k);  /* names a crash */
        c->fn(k);
    }
}

/* The table covers every function the public headers declare: a declaration is an
 * identifier sc_* followed by '(' outside comments and preprocessor lines, after a type. */
Test(null_args, table_lists_every_public_function)
{
    static const char *const headers[] = {"backward.h", "base.h", "conv.h", "conv_params.h",
                                          "dense.h", "file.h", "layer.h", "npy.h",
                                          "pack_order.h", "prune.h", "tensor.h", "weights.h"};
    int found = 0;
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; ++h) {
        char path[512];
        snprintf(path, sizeof path, "%s/sconv/%s", SC_INCLUDE_DIR, headers[h]);
        size_t len = 0;
        char *s = (char *)rb_read_bytes(path, &len);
        cr_assert_not_null(s, "cannot read %s", path);
        for (size_t i = 0; i < len; ++i) {  /* blank comments and preprocessor lines */
            if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
                size_t j = i;
                while (j + 1 < len && !(s[j] == '*' && s[j + 1] == '/')) s[j++] = ' ';
                s[j] = ' ';
                if (j + 1 < len) s[j + 1] = ' ';
                i = j + 1;
            } else if (s[i] == '#' && (i == 0 || s[i - 1] == '\n')) {
                while (i < len && s[i] != '\n') s[i++] = ' ';
            }
        }
        for (size_t i = 0; i + 3 < len; ++i) {
            if (strncmp(s + i, "sc_", 3) != 0 || (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
                                                          s[i - 1] == '_')))
                continue;
            size_t e = i;
            while (e < len && (isalnum((unsigned char)s[e]) || s[e] == '_')) ++e;
            size_t b = e;
            while (b < len && s[b] == ' ') ++b;
            size_t p = i;  /* the token before: a type name or '*' means a declaration */
            while (p > 0 && (s[p - 1] == ' ' || s[p - 1] == '\n')) --p;
            const int after_type = p > 0 && (isalnum((unsigned char)s[p - 1]) ||
                                             s[p - 1] == '_' || s[p - 1] == '*');
            if (b >= len || s[b] != '(' || !after_type) {
                i = e;
                continue;
            }
            const size_t n = e - i;
            int listed = 0;
            for (size_t c = 0; c < N_CASES && !listed; ++c)
                listed = strlen(cases[c].name) == n && strncmp(cases[c].name, s + i, n) == 0;
            cr_expect(listed, "%s declares %.*s, which the NULL table does not list", headers[h],
                      (int)n, s + i);
            ++found;
            i = e;
        }
        free(s);
    }
    cr_expect_eq((size_t)found, N_CASES, "%d declarations, %zu table entries", found, N_CASES);
}
