/* bench/engine_xnnpack.c: peer: XNNPACK's sparse 1x1 NCHW path and its dense NHWC convolution */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/core.h"

#ifdef SCB_HAVE_XNNPACK
#include <pthreadpool.h>
#include <xnnpack.h>

/* NCHW: xnn_create_convolution2d_nchw_f32 takes a 1x1, stride-1, unpadded, ungrouped layer
 * only through its SpMM microkernel (it drops zero weights at creation; there is no dense
 * NCHW 1x1 path in this operator). scb_xnnpack_probe() checks that the time does follow
 * the nonzeros. NHWC: xnn_create_convolution2d_nhwc_f32, dense, weights OHWI per group.
 * Threads: a pthreadpool of N threads, NULL (caller's thread) for 1. */
static double probe_ratio = NAN;  /* set by scb_xnnpack_probe() */

typedef struct xnn_state {
    xnn_operator_t op;
    pthreadpool_t pool;
    float *w;  /* OHWI copy for the NHWC operator */
} xnn_state;

void scb_xnnpack_version(char *buf, size_t cap)
{
    char v[64];
    scb_deb_version("libxnnpack0", v, sizeof v);
    snprintf(buf, cap, "Debian package libxnnpack0 %s (no version API)", v);
}

static int xnn_ready(void)
{
    static int state = 0;  /* 0 unknown, 1 ok, -1 failed */
    if (state == 0) state = xnn_initialize(NULL) == xnn_status_success ? 1 : -1;
    return state == 1;
}

static const char *xnn_supports(const scb_point *pt)
{
    const scb_shape *s = pt->shape;
    if (!xnn_ready()) return "xnn_initialize failed (CPU not supported?)";
    if (pt->layout == SCB_NCHW &&
        !(s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0 && s->groups == 1))
        return "XNNPACK NCHW: sparse path only for 1x1 stride-1 unpadded ungrouped layers";
    return NULL;
}

static void xnn_teardown(void *state)
{
    xnn_state *s = state;
    if (!s) return;
    if (s->op) xnn_delete_operator(s->op);
    if (s->pool) pthreadpool_destroy(s->pool);
    scb_free(s->w);
    free(s);
}

static int xnn_setup(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                     char *msg, size_t cap)
{
    const scb_shape *sh = pt->shape;
    const uint32_t p = (uint32_t)sh->pad, k_h = (uint32_t)sh->kh, k_w = (uint32_t)sh->kw;
    const uint32_t st = (uint32_t)sh->stride, d = (uint32_t)sh->dil, g = (uint32_t)sh->groups;
    const size_t icg = (size_t)(sh->cin / sh->groups), ocg = (size_t)(sh->cout / sh->groups);
    enum xnn_status xs;
    xnn_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    if (pt->threads > 1) {
        s->pool = pthreadpool_create((size_t)pt->threads);
        if (!s->pool) {
            snprintf(msg, cap, "pthreadpool_create(%d) failed", pt->threads);
            xnn_teardown(s);
            return -1;
        }
    }
    if (pt->layout == SCB_NCHW) {
        xs = xnn_create_convolution2d_nchw_f32(p, p, p, p, k_h, k_w, st, st, d, d, g, icg, ocg,
                                               (size_t)sh->cin, (size_t)sh->cout, pt->w, NULL,
                                               -INFINITY, INFINITY, 0, &s->op);
        if (xs == xnn_status_success)
            xs = xnn_setup_convolution2d_nchw_f32(s->op, (size_t)pt->batch, (size_t)sh->h,
                                                  (size_t)sh->w, pt->x, y, s->pool);
        snprintf(info->note, sizeof info->note, "sparse SpMM (nchw 1x1; probe: 95%%-zero weights "
                 "%.1fx faster than dense)", probe_ratio);
        info->nonzero_work = 1;
    } else {
        s->w = scb_alloc((size_t)sc_wdesc_numel(&pt->wd) * sizeof(float));
        if (sc_weights_convert(&pt->wd, pt->w, SC_OHWI, s->w) != SC_OK) {
            snprintf(msg, cap, "weights: %s", sc_last_message());
            xnn_teardown(s);
            return -1;
        }
        xs = xnn_create_convolution2d_nhwc_f32(p, p, p, p, k_h, k_w, st, st, d, d, g, icg, ocg,
                                               (size_t)sh->cin, (size_t)sh->cout, s->w, NULL,
                                               -INFINITY, INFINITY, 0, &s->op);
        if (xs == xnn_status_success)
            xs = xnn_setup_convolution2d_nhwc_f32(s->op, (size_t)pt->batch, (size_t)sh->h,
                                                  (size_t)sh->w, pt->x, y, s->pool);
        snprintf(info->note, sizeof info->note, "dense nhwc");
        info->nonzero_work = 0;
    }
    if (xs != xnn_status_success) {
        snprintf(msg, cap, "xnn_create/setup_convolution2d_%s_f32: status %d",
                 pt->layout == SCB_NCHW ? "nchw" : "nhwc", (int)xs);
        int unsupported = xs == xnn_status_unsupported_parameter ||
                          xs == xnn_status_unsupported_hardware;
        xnn_teardown(s);
        return unsupported ? 1 : -1;
    }
    *state = s;
    return 0;
}

static int xnn_run(void *state, char *msg, size_t cap)
{
    xnn_state *s = state;
    enum xnn_status xs = xnn_run_operator(s->op, s->pool);
    if (xs != xnn_status_success) {
        snprintf(msg, cap, "xnn_run_operator: status %d", (int)xs);
        return -1;
    }
    return 0;
}

/* Time a 1x1 NCHW operator (cin=cout=256, 28x28) with dense weights and with 95% of them
 * zero: a sparse kernel runs the second several times faster, a dense one does not. */
double scb_xnnpack_probe(void)
{
    if (!xnn_ready()) return NAN;
    enum { C = 256, HW = 28 * 28 };
    float *w = scb_alloc(C * C * sizeof(float)), *x = scb_alloc(C * HW * sizeof(float));
    float *y = scb_alloc(C * HW * sizeof(float));
    double t[2] = {NAN, NAN};
    for (int i = 0; i < C * HW; i++) x[i] = (float)(i % 7) - 3.0f;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < C * C; i++)
            w[i] = pass == 0 || i % 20 == 0 ? 0.5f + (float)(i % 5) : 0.0f;
        xnn_operator_t op = NULL;
        if (xnn_create_convolution2d_nchw_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, C, C, C, C, w, NULL,
                                              -INFINITY, INFINITY, 0, &op) != xnn_status_success ||
            xnn_setup_convolution2d_nchw_f32(op, 1, 28, 28, x, y, NULL) != xnn_status_success) {
            if (op) xnn_delete_operator(op);
            break;
        }
        double best = INFINITY;
        for (int r = 0; r < 20; r++) {
            double t0 = sc_now_s();
            xnn_run_operator(op, NULL);
            double dt = sc_now_s() - t0;
            if (dt < best) best = dt;
        }
        t[pass] = best;
        xnn_delete_operator(op);
    }
    scb_free(w);
    scb_free(x);
    scb_free(y);
    probe_ratio = t[0] / t[1];
    return probe_ratio;
}

const scb_engine scb_engine_xnnpack = {"xnnpack", xnn_supports, xnn_setup, xnn_run,
                                       xnn_teardown};

#else /* !SCB_HAVE_XNNPACK */

void scb_xnnpack_version(char *buf, size_t cap)
{
    snprintf(buf, cap, "unavailable (sconv-bench built without XNNPACK)");
}

double scb_xnnpack_probe(void)
{
    return NAN;
}

static const char *xnn_unavailable(const scb_point *pt)
{
    (void)pt;
    return "unavailable: built without XNNPACK (apt-get install libxnnpack-dev libpthreadpool-dev)";
}

const scb_engine scb_engine_xnnpack = {"xnnpack", xnn_unavailable, NULL, NULL, NULL};

#endif
