/* bench/engine_sconv.c: sconv's operator as four engines: forced sparse, forced dense, auto,
 * and forced sparse on one thread inside multi-thread points */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct sconv_state {
    sc_conv *op;
    const float *x;
    float *y;
} sconv_state;

static const char *sconv_supports(const scb_point *pt)
{
    (void)pt;
    return NULL;
}

/* sconv_t1 is the 1-thread reference of a multi-thread point: its samples interleave with
 * the multi-thread engines' rep by rep, so thread scaling is a ratio measured in one run
 * like every speedup (two points a second apart drift apart on a shared host). */
static const char *sconv_t1_supports(const scb_point *pt)
{
    return pt->threads > 1 ? NULL : "a 1-thread point times sconv itself";
}

static int setup_engine(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                        char *msg, size_t cap, sc_engine engine, int threads)
{
    sconv_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    sc_conv_options opt = sc_conv_options_default();
    opt.threads = threads;
    opt.engine = engine;
    sc_status st = sc_conv_create(pt->layer, &opt, &s->op);
    if (st == SC_OK) st = sc_conv_plan(s->op, &pt->xd, &pt->yd);
    sc_conv_choice ch;
    if (st == SC_OK) st = sc_conv_describe(s->op, &ch);
    if (st != SC_OK) {
        snprintf(msg, cap, "%s: %s", sc_strerror(st), sc_last_message());
        sc_conv_destroy(s->op);
        free(s);
        return st == SC_EUNSUPPORTED ? 1 : -1;
    }
    info->nonzero_work = ch.engine == SC_ENGINE_SPARSE;
    snprintf(info->note, sizeof info->note, "%s %s", ch.engine == SC_ENGINE_SPARSE ? "sparse" : "dense",
             ch.kernel ? ch.kernel : "");
    scb_isa_of_kernel(ch.kernel, info->isa, sizeof info->isa);
    s->x = pt->x;
    s->y = y;
    *state = s;
    return 0;
}

static int setup_sparse(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                        char *msg, size_t cap)
{
    return setup_engine(pt, y, state, info, msg, cap, SC_ENGINE_SPARSE, pt->threads);
}

static int setup_dense(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                       char *msg, size_t cap)
{
    return setup_engine(pt, y, state, info, msg, cap, SC_ENGINE_DENSE, pt->threads);
}

static int setup_auto(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                      char *msg, size_t cap)
{
    return setup_engine(pt, y, state, info, msg, cap, SC_ENGINE_AUTO, pt->threads);
}

static int setup_sparse_t1(const scb_point *pt, float *y, void **state, scb_engine_info *info,
                           char *msg, size_t cap)
{
    return setup_engine(pt, y, state, info, msg, cap, SC_ENGINE_SPARSE, 1);
}

static int sconv_run(void *state, char *msg, size_t cap)
{
    sconv_state *s = state;
    sc_status st = sc_conv_run(s->op, s->x, s->y);
    if (st != SC_OK) {
        snprintf(msg, cap, "%s: %s", sc_strerror(st), sc_last_message());
        return -1;
    }
    return 0;
}

static void sconv_teardown(void *state)
{
    sconv_state *s = state;
    if (!s) return;
    sc_conv_destroy(s->op);
    free(s);
}

const scb_engine scb_engine_sconv = {"sconv", sconv_supports, setup_sparse, sconv_run,
                                     sconv_teardown};
const scb_engine scb_engine_sconv_dense = {"dense", sconv_supports, setup_dense, sconv_run,
                                           sconv_teardown};
const scb_engine scb_engine_sconv_auto = {"auto", sconv_supports, setup_auto, sconv_run,
                                          sconv_teardown};
const scb_engine scb_engine_sconv_t1 = {"sconv_t1", sconv_t1_supports, setup_sparse_t1,
                                        sconv_run, sconv_teardown};
