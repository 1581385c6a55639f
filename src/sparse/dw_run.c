/* src/sparse/dw_run.c: the direct depthwise run: (image, channel) planes over threads, their rows through the rows kernel */
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

enum { DW_PACK_BAND = 16 };  /* output rows per packing band (run_rows) */

/* Per-thread scratch of a run whose items span up to `rows` output rows: packed input rows,
 * the kernel's tap arrays and, for a y with strided columns, the output rows, in floats,
 * each part on 64 bytes. */
typedef struct dw_scratch {
    int64_t pack_floats, tap_floats, out_floats, floats;
} dw_scratch;

static int64_t round16(int64_t n)
{
    return (n + 15) / 16 * 16;
}

static dw_scratch scratch_parts(const sc_dw_plan *dp, int64_t rows)
{
    const int64_t H = dp->x.dims[SC_H], W = dp->x.dims[SC_W];
    dw_scratch s = {0, 0, 0, 0};
    if (dp->flat) {  /* the padded plane and the flat output run */
        s.pack_floats = round16(dp->hp * dp->wp);
        s.out_floats = round16((dp->y.dims[SC_H] - 1) * dp->wp + dp->y.dims[SC_W]);
    } else if (dp->pack) {
        const int64_t band = rows < DW_PACK_BAND ? rows : DW_PACK_BAND;
        int64_t in_rows = (band - 1) * dp->sh + dp->dy_max + 1;  /* below 2^43 + 2^42 */
        if (in_rows > H) in_rows = H;
        s.pack_floats = round16(in_rows * W);  /* at most a plane of x: it fits memory */
    }
    /* per tap: an offset (2 floats), w, lo, hi, and the kernel's workspace */
    s.tap_floats = round16(dp->max_taps * 5) + dp->max_taps * (SC_DW_WS_BYTES_PER_TAP / 4);
    if (!dp->flat)
        s.out_floats = dp->y.strides[SC_W] != 1 ? round16(rows * dp->y.dims[SC_W]) : 0;
    s.floats = s.pack_floats + s.tap_floats + s.out_floats;
    if (s.floats == 0) s.floats = 16;  /* a channel without taps: still a block to take */
    return s;
}

/* Where a call's input rows are: row ih of the channel at xb + (ih - ih0) * pitch. */
typedef struct dw_rows_in {
    const float *xb;
    int64_t ih0, pitch;
} dw_rows_in;

/* Output rows [oh, oh + nr) of channel o through the kernel, on the taps whose input rows
 * are inside the image for the first of them (all rows of a call above one have all taps
 * inside); ws holds the tap arrays, out the output rows when y's columns are strided. */
static void call_rows(const sc_dw_plan *dp, const dw_rows_in *in, float *ws, float *out,
                      float *yc, int64_t o, int64_t oh, int64_t nr)
{
    const int64_t H = dp->x.dims[SC_H], OW = dp->y.dims[SC_W];
    const int64_t ysH = dp->y.strides[SC_H], ysW = dp->y.strides[SC_W];
    const sc_dw_tap *taps = dp->taps + dp->tap_start[o];
    const int64_t nt = dp->tap_start[o + 1] - dp->tap_start[o];
    ptrdiff_t *off = (ptrdiff_t *)(void *)ws;
    float *w = ws + 2 * dp->max_taps;
    int32_t *lo = (int32_t *)(void *)(w + dp->max_taps), *hi = lo + dp->max_taps;
    void *kws = ws + round16(5 * dp->max_taps);
    size_t n = 0;
    for (int64_t j = 0; j < nt; ++j) {
        const int64_t ih = oh * dp->sh - dp->pad_top + taps[j].dy;
        if (ih < 0 || ih >= H) continue;
        off[n] = (ih - in->ih0) * in->pitch + taps[j].col - taps[j].lo;
        w[n] = taps[j].w;
        lo[n] = taps[j].lo;
        hi[n] = taps[j].hi;
        ++n;
    }
    float *yr = yc + oh * ysH;
    const int direct = ysW == 1;
    dp->kern->fn((size_t)nr, (size_t)OW, n, in->xb, dp->sh * in->pitch, off, w, lo, hi,
                 dp->bias[o], &dp->act, direct ? yr : out, direct ? ysH : OW, kws);
    if (!direct)
        for (int64_t r = 0; r < nr; ++r)
            for (int64_t ow = 0; ow < OW; ++ow) yr[r * ysH + ow * ysW] = out[r * OW + ow];
}

/* Channel o of one image on a padded plane (dp->flat): its input rows into the plane (whose
 * padding ws holds zeroed already), then the kernel on all rows straight into y, or as one
 * flat run whose valid columns are copied out to y. */
static void run_flat(const sc_dw_plan *dp, const dw_scratch *sp, float *ws, const float *xc,
                     float *yc, int64_t o)
{
    const int64_t H = dp->x.dims[SC_H], W = dp->x.dims[SC_W];
    const int64_t OH = dp->y.dims[SC_H], OW = dp->y.dims[SC_W], wp = dp->wp;
    const int64_t xsH = dp->x.strides[SC_H], xsW = dp->x.strides[SC_W];
    const int64_t ysH = dp->y.strides[SC_H], ysW = dp->y.strides[SC_W];
    float *plane = ws, *tws = ws + sp->pack_floats, *out = tws + sp->tap_floats;
    for (int64_t ih = 0; ih < H; ++ih) {
        float *d = plane + (ih + dp->pad_top) * wp + dp->pad_left;
        const float *xr = xc + ih * xsH;
        if (xsW == 1) {  /* short rows: a loop, no memcpy call */
            for (int64_t iw = 0; iw < W; ++iw) d[iw] = xr[iw];
        } else {
            for (int64_t iw = 0; iw < W; ++iw) d[iw] = xr[iw * xsW];
        }
    }
    const sc_dw_tap *taps = dp->taps + dp->tap_start[o];
    const int64_t nt = dp->tap_start[o + 1] - dp->tap_start[o];
    /* rows of more than 8 columns fill most of a vector row by row, which then go straight
     * to y (unit-stride rows); narrower ones as one flat run, copied out */
    const int rows = OW > 8 && ysW == 1;
    const int64_t n = rows ? OW : (OH - 1) * wp + OW;
    ptrdiff_t *off = (ptrdiff_t *)(void *)tws;
    float *w = tws + 2 * dp->max_taps;
    int32_t *lo = (int32_t *)(void *)(w + dp->max_taps), *hi = lo + dp->max_taps;
    for (int64_t j = 0; j < nt; ++j) {
        off[j] = taps[j].dy * wp + taps[j].col;
        w[j] = taps[j].w;
        lo[j] = 0;
        hi[j] = (int32_t)n;
    }
    void *kws = tws + round16(5 * dp->max_taps);
    if (rows) {
        dp->kern->fn((size_t)OH, (size_t)OW, (size_t)nt, plane, wp, off, w, lo, hi, dp->bias[o],
                     &dp->act, yc, ysH, kws);
        return;
    }
    dp->kern->fn(1, (size_t)n, (size_t)nt, plane, 0, off, w, lo, hi, dp->bias[o], &dp->act, out,
                 0, kws);
    for (int64_t oh = 0; oh < OH; ++oh) {
        float *yr = yc + oh * ysH;
        const float *b = out + oh * wp;
        if (ysW == 1) {
            for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = b[ow];
        } else {
            for (int64_t ow = 0; ow < OW; ++ow) yr[ow * ysW] = b[ow];
        }
    }
}

/* Output rows [oh0, oh1) of channel o of one image: xc at its input plane, yc at its output
 * plane; ws the thread's scratch. Rows with a tap in the padding go one at a time, the
 * rows between them in one call. */
static void run_band(const sc_dw_plan *dp, const dw_scratch *sp, float *ws, const float *xc,
                     float *yc, int64_t o, int64_t oh0, int64_t oh1)
{
    const int64_t H = dp->x.dims[SC_H], W = dp->x.dims[SC_W];
    const int64_t xsH = dp->x.strides[SC_H], xsW = dp->x.strides[SC_W];
    const int64_t sh = dp->sh, pt = dp->pad_top;
    float *packed = ws, *taps_ws = ws + sp->pack_floats;
    float *out = ws + sp->pack_floats + sp->tap_floats;
    /* input rows [ih0, ih1) are the ones these output rows reach inside the image */
    int64_t ih0 = oh0 * sh - pt, ih1 = (oh1 - 1) * sh - pt + dp->dy_max + 1;
    ih0 = ih0 < 0 ? 0 : ih0;
    ih1 = ih1 > H ? H : ih1;
    dw_rows_in in = {xc, 0, xsH};
    if (dp->pack) {
        for (int64_t ih = ih0; ih < ih1; ++ih)
            pack_row(xc + ih * xsH, xsW, W, dp->sw, packed + (ih - ih0) * W);
        in = (dw_rows_in){packed, ih0, W};
    }
    /* [oha, ohb): the rows whose taps all read inside the image, within [oh0, oh1) */
    const int64_t *inner = dp->inner + 2 * o;
    const int64_t oha = inner[0] < oh0 ? oh0 : inner[0] > oh1 ? oh1 : inner[0];
    const int64_t ohb = inner[1] > oh1 ? oh1 : inner[1] < oha ? oha : inner[1];
    for (int64_t oh = oh0; oh < oha; ++oh) call_rows(dp, &in, taps_ws, out, yc, o, oh, 1);
    if (ohb > oha) call_rows(dp, &in, taps_ws, out, yc, o, oha, ohb - oha);
    for (int64_t oh = ohb; oh < oh1; ++oh) call_rows(dp, &in, taps_ws, out, yc, o, oh, 1);
}

/* run_band on [oh0, oh1): at once when rows are read in place, else in bands of
 * DW_PACK_BAND output rows, so the rows a band packs are still in L1 when its kernel call
 * reads them (a whole packed plane of a large image is not). */
static void run_rows(const sc_dw_plan *dp, const dw_scratch *sp, float *ws, const float *xc,
                     float *yc, int64_t o, int64_t oh0, int64_t oh1)
{
    const int64_t band = dp->pack ? DW_PACK_BAND : oh1 - oh0;
    for (int64_t b0 = oh0; b0 < oh1; b0 += band)
        run_band(dp, sp, ws, xc, yc, o, b0, b0 + band < oh1 ? b0 + band : oh1);
}

sc_status sc_dw_run(const sc_dw_plan *dp, const float *x, float *y)
{
    const int nthreads = dp->threads > 0 ? dp->threads : omp_get_max_threads();
    const int64_t N = dp->x.dims[SC_N], OC = dp->y.dims[SC_C], OH = dp->y.dims[SC_H];
    const int64_t planes = N * OC;
    /* whole planes, unless there are too few to balance the threads (4 items per thread):
     * then planes cut into row ranges */
    int64_t cuts = 1;
    if (nthreads > 1 && planes < 4 * (int64_t)nthreads && !dp->flat)
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
#pragma omp parallel num_threads(nthreads)
    {
        /* a contiguous range of items per thread, decoded once and then counted up: items
         * are (image, channel, row range), row ranges fastest */
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        const int64_t t0 = n_items * tid / nth, t1 = n_items * (tid + 1) / nth;
        float *ws = scratch + tid * sp.floats;
        if (dp->flat) memset(ws, 0, (size_t)sp.pack_floats * sizeof *ws);  /* the padding */
        int64_t k = t0 % cuts, o = t0 / cuts % OC, n = t0 / cuts / OC;
        int64_t c = o / dp->ocg, g = o % dp->ocg;  /* input channel, o's place among its ocg */
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t oh0 = k * rows, oh1 = oh0 + rows < OH ? oh0 + rows : OH;
            const float *xc = x + n * dp->x.strides[SC_N] + c * dp->x.strides[SC_C];
            float *yc = y + n * dp->y.strides[SC_N] + o * dp->y.strides[SC_C];
            if (dp->flat) run_flat(dp, &sp, ws, xc, yc, o);
            else run_rows(dp, &sp, ws, xc, yc, o, oh0, oh1);
            if (++k < cuts) continue;
            k = 0;
            ++o;
            if (++g == dp->ocg) g = 0, ++c;
            if (o == OC) o = 0, c = 0, ++n;
        }
    }
    sc_scratch_give(dp->scratch, scratch);
    return SC_OK;
}
