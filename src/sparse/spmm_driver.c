/* src/sparse/spmm_driver.c: the SpMM driver: pack input, walk (image, tile, row block) items, call kernels, store */
#include <omp.h>
#include <string.h>

#include "core/core.h"
#include "sparse/spmm_driver.h"

enum { PACK_CH = 16 };  /* channels per packing task */

/* One (image, tile, rows [r0, r0 + nb)): for each reduction block, y_tile (+)= W_cb * X_cb
 * through the kit (sc_spmm_kit_run); the activation on the last block. yt points at row r0.
 * An accumulating problem starts from y_tile (prefilled by start_tile) on every block. */
static void run_tile(const sc_spmm_problem *pb, const float *xt, float *yt,
                     size_t y_stride_bytes, int64_t m, int64_t r0, int64_t nb)
{
    const int64_t R = pb->n_rows;
    for (int64_t cb = 0; cb < pb->n_cb; ++cb) {
        sc_spmm_params prm = pb->act;
        prm.load_y = cb > 0 || pb->accumulate;
        prm.clamp = pb->act.clamp && cb == pb->n_cb - 1;
        if (prm.n_seg > 0) prm.seg_nnz = pb->seg_nnz + (cb * R + r0) * prm.n_seg;
        const float *w = pb->w + pb->w_start[cb * R + r0];
        const int32_t *off = pb->off_bytes + pb->off_start[cb * R + r0];
        const uint32_t *nnz = pb->nnz + cb * R + r0;
        sc_spmm_kit_run(&pb->kit, (size_t)m, (size_t)nb, xt + cb * pb->cb_x_floats, w, off,
                        nnz, yt, y_stride_bytes, &prm);
    }
}

/* Row r's bias: the first slot of block 0's stream that holds it (0 when the planner baked
 * none in). */
static float row_bias(const sc_spmm_problem *pb, int64_t r)
{
    return pb->w[pb->w_start[r / pb->rows * pb->rows] + r % pb->rows];
}

/* An accumulating item's start: yt[o][p] += bias[r0 + o] for o < nb, p < m (yt rows
 * stride_floats apart: y itself, or a tile buffer holding y's old values with 0 in its
 * discarded columns), and p in [m, mk) set to the bias (the padded columns of a short tile,
 * computed and discarded). The sum of every output is then y_old + bias + products in that
 * order whatever the split. */
static void start_tile(const sc_spmm_problem *pb, float *yt, int64_t stride_floats, int64_t m,
                       int64_t mk, int64_t r0, int64_t nb)
{
    for (int64_t o = 0; o < nb; ++o) {
        const float b = row_bias(pb, r0 + o);
        float *row = yt + o * stride_floats;
        for (int64_t p = 0; p < m; ++p) row[p] += b;
        for (int64_t p = m; p < mk; ++p) row[p] = b;
    }
}

/* How the (tile, row block) items are ordered and cut. Items run tile-major (the blocks of
 * a tile consecutive, sharing its packed panel), except when the kernels store straight
 * into an NCHW y of a small image (sc_spmm_block_major): there items run block-major with
 * one block per thread and every thread walks all tiles for its own rows. */
typedef struct work_order {
    int64_t n_tiles;   /* tiles of the whole batch */
    int64_t n_ocb;     /* row blocks per tile */
    int64_t ocb;       /* rows per block (a multiple of the weight stream's rows) */
    int64_t OC;
    int block_major;
} work_order;

static work_order plan_order(const sc_spmm_problem *pb, int64_t n_tiles, int nthreads)
{
    const int64_t OC = pb->n_rows;
    work_order wo = {n_tiles, 1, OC, OC, 0};
    if (sc_spmm_block_major(pb->direct_y, n_tiles, OC, nthreads)) {
        wo.block_major = 1;
        wo.n_ocb = nthreads;
    } else if (pb->panel && n_tiles < 8 * (int64_t)nthreads &&
               pb->in_ch * pb->tile_floats * 4 > sc_cpu_l2_bytes() / 2) {
        /* a panel larger than half the L2 is read again from L3 by every block of its tile:
         * one block per thread. Smaller panels stay in L2 and the blocks keep their
         * output rows in cache across the reduction blocks (docs/kernels.md, "Threads"). */
        wo.n_ocb = nthreads;
        while (wo.n_ocb > 1 && OC / wo.n_ocb < 16) --wo.n_ocb;
    } else {
        /* 1 block, unless there are fewer than 8 tiles per thread (small images), then
         * halved down to 16 rows per block so both cores get balanced work (not on a lone
         * thread when the problem asks for whole tiles: pb->lone_whole) */
        const int halve = nthreads > 1 || !pb->lone_whole;
        while (halve && n_tiles * wo.n_ocb < 8 * (int64_t)nthreads &&
               OC / (2 * wo.n_ocb) >= 16)
            wo.n_ocb *= 2;
    }
    wo.ocb = ((OC + wo.n_ocb - 1) / wo.n_ocb + pb->rows - 1) / pb->rows * pb->rows;
    return wo;
}

/* Item t's tile and rows [*o0, *o0 + *nb) (*nb <= 0: rounding left it empty). */
static void item_of(const work_order *wo, int64_t t, int64_t *tile, int64_t *o0, int64_t *nb)
{
    const int64_t b = wo->block_major ? t / wo->n_tiles : t % wo->n_ocb;
    *tile = wo->block_major ? t % wo->n_tiles : t / wo->n_ocb;
    *o0 = b * wo->ocb;
    *nb = wo->OC - *o0 < wo->ocb ? wo->OC - *o0 : wo->ocb;
}

/* Cost of a tile beyond its pixels, in pixels: the scalar weight and offset loads and the
 * loop are paid per call whatever its width (docs/kernels.md, "Threads"). */
enum { TILE_FIXED_PIXELS = 32 };

/* Work of item t: pixels rounded up to 8 (the kernels' granule) plus the fixed cost, times
 * rows. Every output element keeps its accumulation order under any cut, so results stay
 * bitwise equal. */
static int64_t item_work(const sc_spmm_problem *pb, const work_order *wo, int64_t t)
{
    int64_t tile, o0, nb;
    item_of(wo, t, &tile, &o0, &nb);
    int64_t q0, m;
    sc_spmm_tile(pb, tile % pb->n_tiles, &q0, &m);
    return nb > 0 ? ((m + 7) / 8 * 8 + TILE_FIXED_PIXELS) * nb : 0;
}

/* First item of thread `tid` of `nth`: contiguous ranges of items (neighbouring tiles share
 * cache lines) balanced by work, so a short last tile does not leave one core idle. */
static int64_t split_point(const sc_spmm_problem *pb, const work_order *wo, int64_t n_work,
                           int tid, int nth)
{
    if (tid <= 0) return 0;
    if (tid >= nth) return n_work;
    int64_t total = 0;
    for (int64_t t = 0; t < n_work; ++t) total += item_work(pb, wo, t);
    /* the first item whose work starts at or past tid/nth of the total, rounded to nearest */
    const int64_t target = (total * tid + nth / 2) / nth;
    int64_t cum = 0, t = 0;
    for (; t < n_work; ++t) {
        const int64_t w = item_work(pb, wo, t);
        if (cum + w / 2 >= target) break;
        cum += w;
    }
    /* to the nearest tile boundary: rounding keeps the cuts of successive threads in order */
    if (pb->tile_cuts && !wo->block_major) t = (t + wo->n_ocb / 2) / wo->n_ocb * wo->n_ocb;
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
 * planes (+ tile_floats zeroed floats: a kernel rounded up on the last image's partial tile
 * reads up to tile_floats - 1 floats past its planes, results discarded), part[1] of panels (one per thread),
 * part[2] of tile buffers (one per thread; panel and plane inputs compute a partial tile at
 * a full kernel width through the buffer: one call instead of a 32/16/masked chain);
 * *bytes in all. Unused parts are 0. True on overflow. */
static bool scratch_layout(const sc_spmm_problem *pb, int64_t panel_floats, int64_t buf_floats,
                           int nthreads, int64_t part[3], int64_t *bytes)
{
    const int pad_tail = !pb->in_place && !pb->row_tiles && pb->pixels % pb->tile_w != 0;
    const int packed = !pb->in_place && !pb->panel;
    part[0] = part[1] = part[2] = *bytes = 0;
    return (packed && (sc_mul_ovf(pb->n_images, pb->image_floats, &part[0]) ||
                       sc_add_ovf(part[0], pb->tile_floats, &part[0]) || round16(&part[0]))) ||
           (pb->panel && (sc_mul_ovf(panel_floats, nthreads, &part[1]) || round16(&part[1]))) ||
           ((!pb->direct_y || pad_tail) &&
            (sc_mul_ovf(buf_floats, nthreads, &part[2]) || round16(&part[2]))) ||
           sc_add_ovf(part[0], part[1], bytes) || sc_add_ovf(*bytes, part[2], bytes) ||
           sc_mul_ovf(*bytes, 4, bytes);
}

int sc_spmm_thread_count(int threads)
{
    return threads > 0 ? threads : omp_get_max_threads();
}

int64_t sc_spmm_tile_width(const sc_spmm_problem *pb)
{
    return pb->wide && sc_spmm_kit_tile(&pb->kit) >= 128 &&
                   pb->pixels >= SC_SPMM_WIDE_TILE_MIN_PIXELS
               ? 128 : 64;
}

void sc_spmm_plan_flat_tiles(sc_spmm_problem *pb)
{
    const int64_t tw = sc_spmm_tile_width(pb);
    pb->tile_w = tw;
    pb->n_tiles = (pb->pixels + tw - 1) / tw;
    pb->tile_floats = tw;
    /* a rest of 1..8 pixels joins the last flat tile (one 72-wide call per row instead of
     * a 64-wide one and a masked 8-wide one: 14x14 = 3 x 64 + 4, 28x28 3x3 = 13 x 64 + 6) */
    const sc_spmm_info *lng = pb->kit.lng;
    if (!pb->row_tiles && lng && tw == 64 && pb->pixels > 64 && pb->pixels % 64 != 0 &&
        pb->pixels % 64 <= (int64_t)lng->mr - 64) {
        pb->n_tiles = pb->pixels / 64;
        pb->tile_floats = (int64_t)lng->mr;
    }
}

int sc_spmm_plan_row_tiles(sc_spmm_problem *pb, int64_t lines)
{
    /* Narrower lines would pay the fixed cost per (line, block) on short tiles (28 = 16 + 8 +
     * 4 pixels: three calls); 112 = 2 x 56 instead of 64 + 32 + 16. */
    enum { ROW_TILE_MIN_OW = 48 };
    if (pb->ow < ROW_TILE_MIN_OW) return 0;
    const int64_t shrt = pb->kit.shrt ? (int64_t)pb->kit.shrt->mr : 64;
    const int64_t cand[3] = {pb->align16 && shrt % 16 != 0 ? 64 : shrt, 64, pb->tile_w};
    pb->row_tile_w = cand[0];
    for (int i = 1; i < 3; ++i)
        if ((pb->ow + cand[i] - 1) / cand[i] < (pb->ow + pb->row_tile_w - 1) / pb->row_tile_w)
            pb->row_tile_w = cand[i];
    pb->row_tiles = (pb->ow + pb->row_tile_w - 1) / pb->row_tile_w;
    pb->n_tiles = lines * pb->row_tiles;
    pb->tile_floats = pb->tile_w;
    pb->direct_y = 1;
    return 1;
}

sc_status sc_spmm_problem_alloc(sc_spmm_problem *pb, int64_t nnz, const char *who)
{
    int64_t nblk;
    if (sc_mul_ovf(pb->n_cb, pb->n_rows, &nblk))
        return sc_fail(SC_EOVERFLOW, "%s: %lld reduction blocks x %lld rows overflows", who,
                       (long long)pb->n_cb, (long long)pb->n_rows);
    sc_status st;
    if ((st = sc_alloc_array((void **)&pb->nnz, (size_t)nblk, sizeof *pb->nnz, true,
                             "weight stream counts")) != SC_OK ||
        (st = sc_alloc_array((void **)&pb->w_start, (size_t)nblk, sizeof(int64_t), false,
                             "weight stream starts")) != SC_OK ||
        (st = sc_alloc_array((void **)&pb->off_start, (size_t)nblk, sizeof(int64_t), false,
                             "weight stream starts")) != SC_OK ||
        (st = sc_alloc_array((void **)&pb->w, (size_t)(nblk + nnz), sizeof(float), false,
                             "weight streams")) != SC_OK ||
        (st = sc_alloc_array((void **)&pb->off_bytes, (size_t)(nnz ? nnz : 1), sizeof(int32_t),
                             false, "weight offsets")) != SC_OK ||
        (st = sc_alloc_array((void **)&pb->scratch, 1, sizeof *pb->scratch, true,
                             "scratch slot")) != SC_OK)
        return st;
    atomic_init(&pb->scratch->idle, NULL);
    return SC_OK;
}

void sc_spmm_problem_clear(sc_spmm_problem *pb)
{
    if (pb->scratch) sc_scratch_release(pb->scratch);
    sc_free(pb->scratch);
    sc_free(pb->w);
    sc_free(pb->off_bytes);
    sc_free(pb->nnz);
    sc_free(pb->seg_nnz);
    sc_free(pb->w_start);
    sc_free(pb->off_start);
    memset(pb, 0, sizeof *pb);
}

sc_status sc_spmm_drive(const sc_spmm_problem *pb, const void *ctx, const float *x, float *y)
{
    const int64_t N = pb->n_images, IC = pb->in_ch, OC = pb->n_rows;
    const int nthreads = sc_spmm_thread_count(pb->threads);
    const int64_t TF = pb->tile_floats;  /* panel and tile-buffer row stride */
    const int64_t buf_floats = (OC * TF + 15) / 16 * 16;
    const int64_t panel_floats = pb->panel ? IC * TF : 0;
    int64_t part[3], bytes;  /* floats of planes, panels, tile buffers; bytes in all */
    float *scratch = NULL;
    if (scratch_layout(pb, panel_floats, buf_floats, nthreads, part, &bytes) ||
        (bytes > 0 && !(scratch = sc_scratch_take(pb->scratch, (size_t)bytes))))
        return sc_fail(SC_ENOMEM, "conv: %lld bytes of scratch (%lld images x %lld floats of "
                       "packed input, %d threads x %lld floats of panels and %lld of output "
                       "tiles)", (long long)bytes, (long long)N, (long long)pb->image_floats,
                       nthreads, (long long)panel_floats, (long long)buf_floats);
    float *const planes = part[0] ? scratch : NULL;
    float *const panels = part[1] ? scratch + part[0] : NULL;
    float *const bufs = part[2] ? scratch + part[0] + part[1] : NULL;
    if (planes) memset(planes + N * pb->image_floats, 0, (size_t)TF * sizeof *planes);
    const work_order wo = plan_order(pb, N * pb->n_tiles, nthreads);
    const int64_t n_pack = (IC + PACK_CH - 1) / PACK_CH, n_work = N * pb->n_tiles * wo.n_ocb;
#pragma omp parallel num_threads(nthreads)
    {
        if (planes) {
#pragma omp for schedule(static)
            for (int64_t t = 0; t < N * n_pack; ++t) {
                const int64_t n = t / n_pack, c0 = t % n_pack * PACK_CH;
                const int64_t c1 = c0 + PACK_CH < IC ? c0 + PACK_CH : IC;
                pb->pack(ctx, x + n * pb->x_image, c0, c1, planes + n * pb->image_floats);
            }
        }
        float *buf = bufs ? bufs + omp_get_thread_num() * buf_floats : NULL;
        float *panel = panels ? panels + omp_get_thread_num() * panel_floats : NULL;
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        const int64_t t_end = split_point(pb, &wo, n_work, tid + 1, nth);
        int64_t packed = -1;  /* the tile this thread's panel holds: tile-major, the blocks
                                 of one tile are consecutive items and share it */
        for (int64_t t = split_point(pb, &wo, n_work, tid, nth); t < t_end; ++t) {
            int64_t tile, o0, nb;
            item_of(&wo, t, &tile, &o0, &nb);
            if (nb <= 0) continue;
            const int64_t n = tile / pb->n_tiles;
            int64_t q0, m;
            sc_spmm_tile(pb, tile % pb->n_tiles, &q0, &m);
            const float *xt;
            int64_t mk = m;  /* pixels the kernels compute */
            if (!pb->in_place && !pb->row_tiles && m < pb->tile_w)
                mk = (int64_t)sc_spmm_kit_round(&pb->kit, (size_t)m);
            if (pb->panel) {
                if (packed != tile) {
                    pb->gather(ctx, x + n * pb->x_image, q0, m, panel);
                    for (int64_t c = 0; mk > m && c < IC; ++c)
                        memset(panel + c * TF + m, 0, (size_t)(mk - m) * sizeof *panel);
                    packed = tile;
                }
                xt = panel;
            } else {
                xt = (pb->in_place ? x + n * pb->x_image : planes + n * pb->image_floats) + q0;
            }
            if (mk == m && pb->direct_y) {
                /* flat pixel q0 is (line, col) = (q0 / wq, q0 % wq) */
                const int64_t yq = q0 / pb->wq * pb->y_line + q0 % pb->wq;
                float *yt = y + n * pb->y_image + o0 * pb->y_row + yq;
                if (pb->accumulate) start_tile(pb, yt, pb->y_row, m, m, o0, nb);
                run_tile(pb, xt, yt, (size_t)(4 * pb->y_row), m, o0, nb);
            } else {
                if (pb->accumulate) {
                    pb->load(ctx, buf, q0, m, o0, nb, y + n * pb->y_image);
                    start_tile(pb, buf, TF, m, mk, o0, nb);
                }
                run_tile(pb, xt, buf, (size_t)TF * sizeof(float), mk, o0, nb);
                pb->store(ctx, buf, q0, m, o0, nb, y + n * pb->y_image);
            }
        }
    }
    sc_scratch_give(pb->scratch, scratch);
    return SC_OK;
}
