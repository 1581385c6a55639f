/* src/sparse/dw_run.c: the direct depthwise run: (image, channel) planes over threads, output rows through the row kernel */
#include <omp.h>
#include <string.h>

#include "sparse/dw_plan.h"

/* Copy input row xr (column stride xs, W columns) into phase row dst (sc_dw_phase_start). */
static void pack_row(const float *restrict xr, int64_t xs, int64_t W, int64_t sw,
                     float *restrict dst)
{
    if (sw == 1) {
        for (int64_t i = 0; i < W; ++i) dst[i] = xr[i * xs];
    } else if (sw == 2 && xs == 1) {  /* the common strided case: even, then odd columns */
        float *restrict odd = dst + (W + 1) / 2;
        for (int64_t i = 0; i < W / 2; ++i) {
            dst[i] = xr[2 * i];
            odd[i] = xr[2 * i + 1];
        }
        if (W % 2) dst[W / 2] = xr[W - 1];
    } else {
        for (int64_t p = 0; p < sw && p < W; ++p) {
            float *restrict d = dst + sc_dw_phase_start(W, sw, p);
            for (int64_t i = p, k = 0; i < W; i += sw, ++k) d[k] = xr[i * xs];
        }
    }
}

/* Per-thread scratch of a run whose items span up to `rows` output rows: packed input rows,
 * the row kernel's tap arrays and an output row for a y with strided columns, in floats,
 * each part on 64 bytes. */
typedef struct dw_scratch {
    int64_t pack_floats, tap_floats, row_floats, floats;
} dw_scratch;

static int64_t round16(int64_t n)
{
    return (n + 15) / 16 * 16;
}

static dw_scratch scratch_parts(const sc_dw_plan *dp, int64_t rows)
{
    const int64_t H = dp->x.dims[SC_H], W = dp->x.dims[SC_W], OW = dp->y.dims[SC_W];
    dw_scratch s = {0, 0, 0, 0};
    if (dp->pack) {
        int64_t in_rows = (rows - 1) * dp->sh + dp->dy_max + 1;  /* below 2^43 + 2^42 */
        if (in_rows > H) in_rows = H;
        s.pack_floats = round16(in_rows * W);  /* a packed image plane fits memory: x's does */
    }
    s.tap_floats = round16(dp->max_taps * 5);  /* a pointer (2 floats), w, lo, hi per tap */
    s.row_floats = dp->y.strides[SC_W] != 1 ? round16(OW) : 0;
    s.floats = s.pack_floats + s.tap_floats + s.row_floats;
    if (s.floats == 0) s.floats = 16;  /* a channel without taps: still a block to take */
    return s;
}

/* Output rows [oh0, oh1) of channel o of one image: xc at its input plane, yc at its output
 * plane; ws the thread's scratch. */
static void run_rows(const sc_dw_plan *dp, const dw_scratch *sp, float *ws, const float *xc,
                     float *yc, int64_t o, int64_t oh0, int64_t oh1)
{
    const int64_t H = dp->x.dims[SC_H], W = dp->x.dims[SC_W], OW = dp->y.dims[SC_W];
    const int64_t xsH = dp->x.strides[SC_H], xsW = dp->x.strides[SC_W];
    const int64_t ysH = dp->y.strides[SC_H], ysW = dp->y.strides[SC_W];
    const sc_dw_tap *taps = dp->taps + dp->tap_start[o];
    const int64_t nt = dp->tap_start[o + 1] - dp->tap_start[o];
    float *packed = ws;
    const float **src = (const float **)(void *)(ws + sp->pack_floats);
    float *w = ws + sp->pack_floats + 2 * dp->max_taps;
    int32_t *lo = (int32_t *)(void *)(w + dp->max_taps), *hi = lo + dp->max_taps;
    float *row = ws + sp->pack_floats + sp->tap_floats;
    /* input rows [ih0, ih1) are the ones these output rows reach inside the image */
    int64_t ih0 = oh0 * dp->sh - dp->pad_top, ih1 = (oh1 - 1) * dp->sh - dp->pad_top + dp->dy_max + 1;
    ih0 = ih0 < 0 ? 0 : ih0;
    ih1 = ih1 > H ? H : ih1;
    if (dp->pack)
        for (int64_t ih = ih0; ih < ih1; ++ih)
            pack_row(xc + ih * xsH, xsW, W, dp->sw, packed + (ih - ih0) * W);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
        size_t n = 0;  /* the taps whose input row is inside the image, in plan order */
        for (int64_t j = 0; j < nt; ++j) {
            const int64_t ih = oh * dp->sh - dp->pad_top + taps[j].dy;
            if (ih < 0 || ih >= H) continue;
            src[n] = (dp->pack ? packed + (ih - ih0) * W : xc + ih * xsH) + taps[j].col;
            w[n] = taps[j].w;
            lo[n] = taps[j].lo;
            hi[n] = taps[j].hi;
            ++n;
        }
        float *yr = yc + oh * ysH;
        dp->kern->fn((size_t)OW, n, src, w, lo, hi, dp->bias[o], &dp->act,
                     ysW == 1 ? yr : row);
        if (ysW != 1)
            for (int64_t ow = 0; ow < OW; ++ow) yr[ow * ysW] = row[ow];
    }
}

sc_status sc_dw_run(const sc_dw_plan *dp, const float *x, float *y)
{
    const int nthreads = dp->threads > 0 ? dp->threads : omp_get_max_threads();
    const int64_t N = dp->x.dims[SC_N], OC = dp->y.dims[SC_C], OH = dp->y.dims[SC_H];
    const int64_t planes = N * OC;
    /* whole planes, unless there are too few to balance the threads (4 items per thread):
     * then planes cut into row ranges */
    int64_t cuts = 1;
    if (nthreads > 1 && planes < 4 * (int64_t)nthreads)
        cuts = (4 * (int64_t)nthreads + planes - 1) / planes;
    if (cuts > OH) cuts = OH;
    const int64_t rows = (OH + cuts - 1) / cuts;
    cuts = (OH + rows - 1) / rows;
    const dw_scratch sp = scratch_parts(dp, rows);
    int64_t bytes;
    float *scratch = NULL;
    if (sc_mul_ovf(sp.floats, 4 * (int64_t)nthreads, &bytes) ||
        !(scratch = sc_scratch_take(dp->scratch, (size_t)bytes)))
        return sc_fail(SC_ENOMEM, "conv: %d threads x %lld floats of depthwise scratch",
                       nthreads, (long long)sp.floats);
    const int64_t n_items = planes * cuts;
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int64_t t = 0; t < n_items; ++t) {
        const int64_t plane = t / cuts, oh0 = t % cuts * rows;
        const int64_t n = plane / OC, o = plane % OC, c = o / dp->ocg;
        const int64_t oh1 = oh0 + rows < OH ? oh0 + rows : OH;
        run_rows(dp, &sp, scratch + omp_get_thread_num() * sp.floats,
                 x + n * dp->x.strides[SC_N] + c * dp->x.strides[SC_C],
                 y + n * dp->y.strides[SC_N] + o * dp->y.strides[SC_C], o, oh0, oh1);
    }
    sc_scratch_give(dp->scratch, scratch);
    return SC_OK;
}
