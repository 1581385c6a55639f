/* bench/engine_openblas.c: peer: im2col + OpenBLAS sgemm, per image and group, in the point's layout */
#include <cblas.h>
#include <stdlib.h>

#include "bench.h"
#include "im2col.h"

typedef struct blas_state {
    const scb_point *pt;
    float *w;     /* OIHW (nchw) or OHWI (nhwc): ocg x K rows per group, pruned, zeros kept */
    float *col;   /* lowered input of one image and group; NULL for pointwise layers */
    float *y;
} blas_state;

static const char *blas_supports(const scb_point *pt)
{
    (void)pt;
    return NULL;
}

static void blas_teardown(void *state)
{
    blas_state *s = state;
    if (!s) return;
    scb_free(s->w);
    scb_free(s->col);
    free(s);
}

static int blas_setup(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                      char *msg, size_t cap)
{
    const scb_shape *sh = pt->shape;
    blas_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    s->pt = pt;
    s->y = y;
    size_t nw = (size_t)sc_wdesc_numel(&pt->wd);
    s->w = scb_alloc(nw * sizeof(float));
    sc_wlayout to = pt->layout == SCB_NCHW ? SC_OIHW : SC_OHWI;
    sc_status st = sc_weights_convert(&pt->wd, pt->w, to, s->w);
    if (st != SC_OK) {
        snprintf(msg, cap, "weights: %s", sc_last_message());
        blas_teardown(s);
        return -1;
    }
    if (!scb_is_pointwise(sh)) {
        size_t k = (size_t)(sh->cin / sh->groups * sh->kh * sh->kw);
        s->col = scb_alloc(k * (size_t)(pt->oh * pt->ow) * sizeof(float));
    }
    info->nonzero_work = 0;
    snprintf(info->note, sizeof info->note, "%s sgemm%s", pt->layout == SCB_NCHW ? "W*col" : "col*W^T",
             s->col ? " after im2col" : " on the input in place");
    *state = s;
    return 0;
}

static int blas_run(void *state, char *msg, size_t cap)
{
    (void)msg;
    (void)cap;
    blas_state *s = state;
    const scb_point *pt = s->pt;
    const scb_shape *sh = pt->shape;
    const int64_t G = sh->groups, icg = sh->cin / G, ocg = sh->cout / G;
    const int64_t P = pt->oh * pt->ow, K = icg * sh->kh * sh->kw, HW = sh->h * sh->w;
    for (int64_t n = 0; n < pt->batch; n++)
        for (int64_t g = 0; g < G; g++) {
            const float *wg = s->w + g * ocg * K;
            if (pt->layout == SCB_NCHW) {
                /* Y_g (ocg x P) = W_g (ocg x K) * col (K x P) */
                const float *b = pt->x + n * sh->cin * HW + g * icg * HW;
                if (s->col) {
                    scb_im2col_chw(pt, n, g, s->col);
                    b = s->col;
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)ocg, (int)P, (int)K,
                            1.0f, wg, (int)K, b, (int)P, 0.0f,
                            s->y + n * sh->cout * P + g * ocg * P, (int)P);
            } else {
                /* Y (P x ocg, row stride Cout) = col (P x K) * W_g^T */
                const float *a = pt->x + n * HW * sh->cin + g * icg;
                int lda = (int)sh->cin;
                if (s->col) {
                    scb_im2col_hwc(pt, n, g, s->col);
                    a = s->col;
                    lda = (int)K;
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)ocg, (int)K,
                            1.0f, a, lda, wg, (int)K, 0.0f,
                            s->y + n * P * sh->cout + g * ocg, (int)sh->cout);
            }
        }
    return 0;
}

const scb_engine scb_engine_openblas = {"openblas", blas_supports, blas_setup, blas_run,
                                        blas_teardown};
