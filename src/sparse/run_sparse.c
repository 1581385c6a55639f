/* src/sparse/run_sparse.c: the sparse driver: pack phase planes, walk batch x pixel tiles, call kernels */
#include <omp.h>
#include <string.h>

#include "core/core.h"
#include "sparse/conv_impl.h"
#include "layer/layer_impl.h"

enum { PACK_CH = 16 };  /* channels per packing task */

/* One (image, tile, output channels [o0, o0 + nb)): for each reduction block,
 * y_tile (+)= W_cb * X_cb through the plan's kit (sc_spmm_kit_run); the activation on the
 * last block. yt points at row o0. */
static void run_tile(const sc_conv *op, const float *xt, float *yt, size_t y_stride_bytes,
                     int64_t m, int64_t o0, int64_t nb)
{
    const sc_sparse_plan *sp = &op->sp;
    const int64_t OC = op->layer->rows;
    for (int64_t cb = 0; cb < sp->n_cb; ++cb) {
        sc_spmm_params prm = op->act;
        prm.load_y = cb > 0;
        prm.clamp = op->act.clamp && cb == sp->n_cb - 1;
        const float *w = sp->w + sp->w_start[cb * OC + o0];
        const int32_t *off = sp->off_bytes + sp->off_start[cb * OC + o0];
        const uint32_t *nnz = sp->nnz + cb * OC + o0;
        sc_spmm_kit_run(&sp->kit, (size_t)m, (size_t)nb, xt, w, off, nnz, yt, y_stride_bytes,
                        &prm);
    }
}

/* How the (tile, output-channel block) items are ordered and cut. Items run tile-major
 * (the blocks of a tile consecutive, sharing its packed panel), except when the kernels
 * store straight into an NCHW y of a small image (under 4 tiles per thread): there a
 * thread's pixel range ends inside cache lines of every output row, which both cores then
 * write, so items run block-major with one block per thread and every thread walks all
 * tiles for its own output channels. At 28x28 (13 tiles) the shared lines are few and
 * reading every tile twice costs more (docs/kernels.md, "Threads"). */
typedef struct work_order {
    int64_t n_tiles;   /* tiles of the whole batch */
    int64_t n_ocb;     /* output-channel blocks per tile */
    int64_t ocb;       /* channels per block (a multiple of the weight stream's rows) */
    int64_t OC;
    int block_major;
} work_order;

static work_order plan_order(const sc_sparse_plan *sp, int64_t n_tiles, int64_t IC,
                             int64_t OC, int nthreads)
{
    work_order wo = {n_tiles, 1, OC, OC, 0};
    if (sc_sparse_block_major(sp->direct_y, n_tiles, OC, nthreads)) {
        wo.block_major = 1;
        wo.n_ocb = nthreads;
    } else if (sp->panel && n_tiles < 8 * (int64_t)nthreads &&
               IC * sp->tile_floats * 4 > sc_cpu_l2_bytes() / 2) {
        /* a panel larger than half the L2 is read again from L3 by every block of its tile:
         * one block per thread. Smaller panels stay in L2 and the blocks keep their
         * output rows in cache across the reduction blocks (docs/kernels.md, "Threads"). */
        wo.n_ocb = nthreads;
        while (wo.n_ocb > 1 && OC / wo.n_ocb < 16) --wo.n_ocb;
    } else {
        /* 1 block, unless there are fewer than 8 tiles per thread (small images), then
         * halved down to 16 channels per block so both cores get balanced work (4 items
         * per thread left a 14x14 layer's short last tile unbalanced; docs/kernels.md) */
        while (n_tiles * wo.n_ocb < 8 * (int64_t)nthreads && OC / (2 * wo.n_ocb) >= 16)
            wo.n_ocb *= 2;
    }
    wo.ocb = ((OC + wo.n_ocb - 1) / wo.n_ocb + sp->rows - 1) / sp->rows * sp->rows;
    return wo;
}

/* Item t's tile and output channels [*o0, *o0 + *nb) (*nb <= 0: rounding left it empty). */
static void item_of(const work_order *wo, int64_t t, int64_t *tile, int64_t *o0, int64_t *nb)
{
    const int64_t b = wo->block_major ? t / wo->n_tiles : t % wo->n_ocb;
    *tile = wo->block_major ? t % wo->n_tiles : t / wo->n_ocb;
    *o0 = b * wo->ocb;
    *nb = wo->OC - *o0 < wo->ocb ? wo->OC - *o0 : wo->ocb;
}

/* Cost of a tile beyond its pixels, in pixels: the scalar weight and offset loads and the
 * loop are paid per call whatever its width, so a short tail costs far more per pixel than
 * a full tile (docs/kernels.md, "Threads"). */
enum { TILE_FIXED_PIXELS = 32 };

/* Work of item t: pixels rounded up to 8 (the kernels' granule) plus the fixed cost, times
 * channels. Every output element keeps its accumulation order under any cut, so results
 * stay bitwise equal. */
static int64_t item_work(const sc_sparse_plan *sp, const work_order *wo, int64_t t)
{
    int64_t tile, o0, nb;
    item_of(wo, t, &tile, &o0, &nb);
    int64_t q0, m;
    sc_sparse_tile(sp, tile % sp->n_tiles, &q0, &m);
    return nb > 0 ? ((m + 7) / 8 * 8 + TILE_FIXED_PIXELS) * nb : 0;
}

/* First item of thread `tid` of `nth`: contiguous ranges of items (neighbouring tiles share
 * cache lines) balanced by work, so a short last tile does not leave one core idle
 * (28x28: 12 full tiles + 16 pixels split 6 | 6.25 instead of 7 | 5.25). */
static int64_t split_point(const sc_sparse_plan *sp, const work_order *wo, int64_t n_work,
                           int tid, int nth)
{
    if (tid <= 0) return 0;
    if (tid >= nth) return n_work;
    int64_t total = 0;
    for (int64_t t = 0; t < n_work; ++t) total += item_work(sp, wo, t);
    /* the first item whose work starts at or past tid/nth of the total, rounded to nearest */
    const int64_t target = (total * tid + nth / 2) / nth;
    int64_t cum = 0, t = 0;
    for (; t < n_work; ++t) {
        const int64_t w = item_work(sp, wo, t);
        if (cum + w / 2 >= target) break;
        cum += w;
    }
    return t;
}

/* n rounded up to a multiple of 16 floats (64 bytes); true on overflow. */
static bool round16(int64_t *n)
{
    if (sc_add_ovf(*n, 15, n)) return true;
    *n = *n / 16 * 16;
    return false;
}

/* The parts of one run's scratch block, each a multiple of 64 bytes: part[0] floats of
 * phase planes (+ 64 zeroed floats: a full-width kernel on the last image's partial tile
 * reads up to 63 floats past its planes, results discarded), part[1] of panels (one per
 * thread), part[2] of tile buffers (one per thread; panel and phase-plane layers compute a
 * partial tile at a full kernel width through the buffer: one call instead of a
 * 32/16/masked chain); *bytes in all. Unused parts are 0. True on overflow. */
static bool scratch_layout(const sc_sparse_plan *sp, int64_t N, int64_t panel_floats,
                           int64_t buf_floats, int nthreads, int64_t part[3], int64_t *bytes)
{
    const int pad_tail = !sp->in_place && !sp->row_tiles && sp->pixels % 64 != 0;
    part[0] = part[1] = part[2] = *bytes = 0;
    return (!sp->in_place && (sc_mul_ovf(N, sp->image_floats, &part[0]) ||
                              sc_add_ovf(part[0], 64, &part[0]) || round16(&part[0]))) ||
           (sp->panel && (sc_mul_ovf(panel_floats, nthreads, &part[1]) || round16(&part[1]))) ||
           ((!sp->direct_y || pad_tail) &&
            (sc_mul_ovf(buf_floats, nthreads, &part[2]) || round16(&part[2]))) ||
           sc_add_ovf(part[0], part[1], bytes) || sc_add_ovf(*bytes, part[2], bytes) ||
           sc_mul_ovf(*bytes, 4, bytes);
}

int sc_sparse_thread_count(const sc_conv *op)
{
    return op->opt.threads > 0 ? op->opt.threads : omp_get_max_threads();
}

sc_status sc_sparse_run(const sc_conv *op, const float *x, float *y)
{
    const sc_sparse_plan *sp = &op->sp;
    const int64_t N = op->x.dims[SC_N], IC = op->x.dims[SC_C], OC = op->layer->rows;
    const int64_t xsN = op->x.strides[SC_N], ysN = op->y.strides[SC_N];
    const int nthreads = sc_sparse_thread_count(op);
    const int64_t TF = sp->tile_floats;  /* panel and tile-buffer row stride */
    const int64_t buf_floats = (OC * TF + 15) / 16 * 16;
    const int64_t panel_floats = sp->panel ? IC * TF : 0;
    int64_t part[3], bytes;  /* floats of planes, panels, tile buffers; bytes in all */
    float *scratch = NULL;
    if (scratch_layout(sp, N, panel_floats, buf_floats, nthreads, part, &bytes) ||
        (bytes > 0 && !(scratch = sc_scratch_take(op->scratch, (size_t)bytes))))
        return sc_fail(SC_ENOMEM, "conv: %lld bytes of scratch (%lld images x %lld floats of "
                       "packed input, %d threads x %lld floats of panels and %lld of output "
                       "tiles)", (long long)bytes, (long long)N, (long long)sp->image_floats,
                       nthreads, (long long)panel_floats, (long long)buf_floats);
    float *const planes = part[0] ? scratch : NULL;
    float *const panels = part[1] ? scratch + part[0] : NULL;
    float *const bufs = part[2] ? scratch + part[0] + part[1] : NULL;
    if (planes) memset(planes + N * sp->image_floats, 0, 64 * sizeof *planes);
    const work_order wo = plan_order(sp, N * sp->n_tiles, IC, OC, nthreads);
    const int64_t n_pack = (IC + PACK_CH - 1) / PACK_CH, n_work = N * sp->n_tiles * wo.n_ocb;
#pragma omp parallel num_threads(nthreads)
    {
        if (!sp->in_place && !sp->panel) {
#pragma omp for schedule(static)
            for (int64_t t = 0; t < N * n_pack; ++t) {
                const int64_t n = t / n_pack, c0 = t % n_pack * PACK_CH;
                const int64_t c1 = c0 + PACK_CH < IC ? c0 + PACK_CH : IC;
                sc_pack_phase_planes(op, x + n * xsN, c0, c1, planes + n * sp->image_floats);
            }
        }
        float *buf = bufs ? bufs + omp_get_thread_num() * buf_floats : NULL;
        float *panel = panels ? panels + omp_get_thread_num() * panel_floats : NULL;
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        const int64_t t_end = split_point(sp, &wo, n_work, tid + 1, nth);
        int64_t packed = -1;  /* the tile this thread's panel holds: tile-major, the blocks
                                 of one tile are consecutive items and share it */
        for (int64_t t = split_point(sp, &wo, n_work, tid, nth); t < t_end; ++t) {
            int64_t tile, o0, nb;
            item_of(&wo, t, &tile, &o0, &nb);
            if (nb <= 0) continue;
            const int64_t n = tile / sp->n_tiles;
            int64_t q0, m;
            sc_sparse_tile(sp, tile % sp->n_tiles, &q0, &m);
            const float *xt;
            int64_t mk = m;  /* pixels the kernels compute */
            if (!sp->in_place && !sp->row_tiles && m < 64)
                mk = (int64_t)sc_spmm_kit_round(&sp->kit, (size_t)m);
            if (sp->panel) {
                if (packed != tile) {
                    sc_pack_tile_panel(op, x + n * xsN, q0, m, panel);
                    for (int64_t c = 0; mk > m && c < IC; ++c)
                        memset(panel + c * TF + m, 0, (size_t)(mk - m) * sizeof *panel);
                    packed = tile;
                }
                xt = panel;
            } else {
                xt = (sp->in_place ? x + n * xsN : planes + n * sp->image_floats) + q0;
            }
            if (mk != m) {
                run_tile(op, xt, buf, (size_t)TF * sizeof(float), mk, o0, nb);
                sc_write_output_tile(op, buf, q0, m, o0, nb, y + n * ysN);
            } else if (sp->direct_y) {
                /* flat pixel q0 is (oh, ow) = (q0 / wq, q0 % wq); for flat tiles wq == OW ==
                 * strides[H] (or one row), so this is q0 itself */
                const int64_t ysC = op->y.strides[SC_C];
                const int64_t yq = q0 / sp->wq * op->y.strides[SC_H] + q0 % sp->wq;
                run_tile(op, xt, y + n * ysN + o0 * ysC + yq, (size_t)(4 * ysC), m, o0, nb);
            } else {
                run_tile(op, xt, buf, (size_t)TF * sizeof(float), m, o0, nb);
                sc_write_output_tile(op, buf, q0, m, o0, nb, y + n * ysN);
            }
        }
    }
    sc_scratch_give(op->scratch, scratch);
    return SC_OK;
}
