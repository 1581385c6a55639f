/* bench/engine_csparse.c: peer: CXSparse cs_di_gaxpy over im2col rows, the general-purpose sparse baseline */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include <suitesparse/cs.h>

#include "bench.h"

/* CXSparse has no float type: the pruned weights are a double CSC matrix W (Cout x Ktot),
 * block-diagonal over groups, Ktot = Cin*KH*KW in the order that suits the layout
 * (nchw: (c, kh, kw); nhwc: (kh, kw, c)). Per output pixel p, the run gathers the input
 * column x_p (Ktot doubles), computes y_p = W x_p with cs_di_gaxpy and stores y_p as
 * floats in the layout; pixels are split across the OpenMP threads (cs_gaxpy is serial). */
typedef struct cs_state {
    const scb_point *pt;
    cs_di *W;
    double *buf;    /* per thread: Ktot + Cout doubles */
    int64_t ktot, nthreads;
    float *y;
} cs_state;

static const char *cs_supports(const scb_point *pt)
{
    const scb_shape *s = pt->shape;
    if (s->cin * s->kh * s->kw > 2147483647 / 2 || pt->nnz > 2147483647 / 2)
        return "matrix too large for cs_di (int indices)";
    return NULL;
}

static void cs_teardown(void *state)
{
    cs_state *s = state;
    if (!s) return;
    cs_di_spfree(s->W);
    free(s->buf);
    free(s);
}

static int64_t col_of(const scb_point *pt, int64_t c, int64_t kh, int64_t kw)
{
    const scb_shape *s = pt->shape;
    return pt->layout == SCB_NCHW ? (c * s->kh + kh) * s->kw + kw : (kh * s->kw + kw) * s->cin + c;
}

static int cs_setup(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                    char *msg, size_t cap)
{
    const scb_shape *sh = pt->shape;
    cs_state *s = calloc(1, sizeof *s);
    cs_di *T = NULL;
    if (!s) goto oom;
    s->pt = pt;
    s->y = y;
    s->ktot = sh->cin * sh->kh * sh->kw;
    const int64_t icg = sh->cin / sh->groups, ocg = sh->cout / sh->groups;
    T = cs_di_spalloc((int)sh->cout, (int)s->ktot, (int)(pt->nnz > 0 ? pt->nnz : 1), 1, 1);
    if (!T) goto oom;
    for (int64_t o = 0; o < sh->cout; o++)
        for (int64_t i = 0; i < icg; i++)
            for (int64_t kh = 0; kh < sh->kh; kh++)
                for (int64_t kw = 0; kw < sh->kw; kw++) {
                    float v = pt->w[((o * icg + i) * sh->kh + kh) * sh->kw + kw];
                    if (v == 0.0f) continue;
                    int64_t c = (o / ocg) * icg + i;
                    if (!cs_di_entry(T, (int)o, (int)col_of(pt, c, kh, kw), v)) goto oom;
                }
    s->W = cs_di_compress(T);
    if (!s->W) goto oom;
    cs_di_spfree(T);
    T = NULL;
    s->nthreads = pt->threads;
    s->buf = malloc((size_t)s->nthreads * (size_t)(s->ktot + sh->cout) * sizeof(double));
    if (!s->buf) goto oom;
    info->nonzero_work = 1;
    snprintf(info->note, sizeof info->note, "cs_di_gaxpy per pixel (double)");
    *state = s;
    return 0;
oom:
    snprintf(msg, cap, "out of memory building the CSC matrix");
    cs_di_spfree(T);
    cs_teardown(s);
    return -1;
}

static int cs_run(void *state, char *msg, size_t cap)
{
    (void)msg;
    (void)cap;
    cs_state *s = state;
    const scb_point *pt = s->pt;
    const scb_shape *sh = pt->shape;
    const int64_t H = sh->h, W = sh->w, C = sh->cin, OW = pt->ow, P = pt->oh * pt->ow;
    const int64_t total = pt->batch * P, ktot = s->ktot, cout = sh->cout;
    const int64_t *xs = pt->xd.strides, *ys = pt->yd.strides;
    /* column of (c, kh, kw) = kcol0(kh, kw) + c * kcol_c */
    const int64_t kcol_c = pt->layout == SCB_NCHW ? sh->kh * sh->kw : 1;
#pragma omp parallel num_threads((int)s->nthreads)
    {
        double *xp = s->buf + (size_t)omp_get_thread_num() * (size_t)(ktot + cout);
        double *yp = xp + ktot;
#pragma omp for schedule(static)
        for (int64_t q = 0; q < total; q++) {
            const int64_t n = q / P, p = q % P, oh = p / OW, ow = p % OW;
            for (int64_t kh = 0; kh < sh->kh; kh++) {
                const int64_t ih = oh * sh->stride - sh->pad + kh * sh->dil;
                for (int64_t kw = 0; kw < sh->kw; kw++) {
                    const int64_t iw = ow * sh->stride - sh->pad + kw * sh->dil;
                    double *dst = xp + col_of(pt, 0, kh, kw);
                    if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                        const float *src = pt->x + n * xs[SC_N] + ih * xs[SC_H] + iw * xs[SC_W];
                        for (int64_t c = 0; c < C; c++) dst[c * kcol_c] = src[c * xs[SC_C]];
                    } else {
                        for (int64_t c = 0; c < C; c++) dst[c * kcol_c] = 0.0;
                    }
                }
            }
            memset(yp, 0, (size_t)cout * sizeof(double));
            cs_di_gaxpy(s->W, xp, yp);
            float *dst = s->y + n * ys[SC_N] + oh * ys[SC_H] + ow * ys[SC_W];
            for (int64_t o = 0; o < cout; o++) dst[o * ys[SC_C]] = (float)yp[o];
        }
    }
    return 0;
}

const scb_engine scb_engine_csparse = {"csparse", cs_supports, cs_setup, cs_run, cs_teardown};
