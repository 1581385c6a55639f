/* tests/sparse/test_lifecycle.c: which calls may overlap on one operator (runs with runs, never a
 * plan with a run) and the thread-count cap, checked without racing */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "common/layer.h"
#include "sconv.h"
#include "sparse/backward_impl.h"
#include "sparse/conv_impl.h"
#include "sparse/run_gate.h"

enum { C = 4, HW = 8, N_ACT = C * HW * HW };

static sc_layer *make_layer(void)
{
    const sc_wdesc wd = {SC_OIHW, C, C, 3, 3};
    float w[C * C * 9];
    for (int i = 0; i < C * C * 9; ++i) w[i] = (i % 3) ? (float)(i % 7) - 3.0f : 0.0f;
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    return ct_pack(&(ct_layer_spec){.wd = wd, .params = &p}, w, NULL);
}

static void fill(float *a, int n)
{
    for (int i = 0; i < n; ++i) a[i] = (float)(i % 11) / 4.0f - 1.0f;
}

Test(lifecycle, gate_counts_runs_and_excludes_plans)
{
    sc_run_gate g;
    atomic_init(&g, 0u);
    cr_expect_eq(sc_gate_run_enter(&g, "t"), SC_OK);
    cr_expect_eq(sc_gate_run_enter(&g, "t"), SC_OK, "runs overlap each other");
    cr_expect_eq(sc_gate_plan_enter(&g, "t"), SC_ESTATE, "a plan while 2 runs are in flight");
    cr_expect(strstr(sc_last_message(), "a run is in flight") != NULL, "%s", sc_last_message());
    sc_gate_run_leave(&g);
    cr_expect_eq(sc_gate_plan_enter(&g, "t"), SC_ESTATE, "a plan while 1 run is in flight");
    sc_gate_run_leave(&g);
    cr_expect_eq(atomic_load(&g), 0u);
    cr_expect_eq(sc_gate_plan_enter(&g, "t"), SC_OK);
    cr_expect_eq(sc_gate_run_enter(&g, "t"), SC_ESTATE, "a run during a plan");
    cr_expect_eq(sc_gate_plan_enter(&g, "t"), SC_ESTATE, "two plans at once");
    cr_expect(strstr(sc_last_message(), "another plan") != NULL, "%s", sc_last_message());
    sc_gate_plan_leave(&g);
    cr_expect_eq(atomic_load(&g), 0u, "refused entries leave no trace");
}

/* A run held in flight (its gate entered, as sc_conv_run does for its duration): plan is
 * refused with SC_ESTATE and the plan stays usable; other runs go on; once the run leaves,
 * plan works. A plan held the same way refuses runs, leaving y untouched. */
Test(lifecycle, conv_plan_refused_while_a_run_is_in_flight)
{
    static const sc_engine engines[2] = {SC_ENGINE_SPARSE, SC_ENGINE_DENSE};
    for (int e = 0; e < 2; ++e) {
        sc_layer *l = make_layer();
        sc_conv_options o = sc_conv_options_default();
        o.engine = engines[e];
        o.threads = 1;
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(l, &o, &op), SC_OK);
        const sc_tensor d = sc_tensor_nchw(1, C, HW, HW), d2 = sc_tensor_nchw(2, C, HW, HW);
        cr_assert_eq(sc_conv_plan(op, &d, &d), SC_OK, "%s", sc_last_message());
        float x[N_ACT], y[N_ACT], y_ref[N_ACT];
        fill(x, N_ACT);
        cr_assert_eq(sc_conv_run(op, x, y_ref), SC_OK);
        cr_assert_eq(sc_gate_run_enter(&op->gate, "held run"), SC_OK);
        cr_expect_eq(sc_conv_plan(op, &d2, &d2), SC_ESTATE, "engine %d: plan during a run", e);
        cr_expect(strstr(sc_last_message(), "conv_plan") != NULL, "%s", sc_last_message());
        cr_expect_eq(sc_conv_run(op, x, y), SC_OK, "engine %d: a second run: %s", e,
                     sc_last_message());
        cr_expect(memcmp(y, y_ref, sizeof y) == 0, "the refused plan changed the operator");
        sc_gate_run_leave(&op->gate);
        cr_expect_eq(sc_conv_plan(op, &d, &d), SC_OK, "%s", sc_last_message());
        cr_assert_eq(sc_gate_plan_enter(&op->gate, "held plan"), SC_OK);
        memset(y, 0x7f, sizeof y);
        cr_expect_eq(sc_conv_run(op, x, y), SC_ESTATE, "engine %d: run during a plan", e);
        for (int i = 0; i < N_ACT; ++i) cr_assert_eq(y[i], y[0], "y written by a refused run");
        sc_gate_plan_leave(&op->gate);
        cr_expect_eq(sc_conv_run(op, x, y), SC_OK);
        cr_expect_eq(atomic_load(&op->gate), 0u);
        sc_conv_destroy(op);
        sc_layer_destroy(l);
    }
}

/* The auto engine's measurement runs shallow copies inside the plan, which holds the gate:
 * they must still run. */
Test(lifecycle, auto_measurement_runs_inside_its_plan)
{
    sc_layer *l = make_layer();
    sc_conv_options o = sc_conv_options_default();
    o.auto_mode = SC_AUTO_MEASURE;
    o.threads = 1;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(l, &o, &op), SC_OK);
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    cr_expect_eq(sc_conv_plan(op, &d, &d), SC_OK, "%s", sc_last_message());
    cr_expect_eq(atomic_load(&op->gate), 0u);
    sc_conv_destroy(op);
    sc_layer_destroy(l);
}

typedef struct runner { const sc_conv *op; const float *x; float y[N_ACT]; sc_status st; } runner;

static void *run_many(void *arg)
{
    runner *r = arg;
    for (int i = 0; i < 50 && r->st == SC_OK; ++i) r->st = sc_conv_run(r->op, r->x, r->y);
    return NULL;
}

/* Runs on 4 threads at once all succeed and leave the gate idle, so a plan then works. */
Test(lifecycle, overlapping_runs_leave_the_gate_idle)
{
    sc_layer *l = make_layer();
    sc_conv_options o = sc_conv_options_default();
    o.engine = SC_ENGINE_SPARSE;
    o.threads = 1;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(l, &o, &op), SC_OK);
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    cr_assert_eq(sc_conv_plan(op, &d, &d), SC_OK);
    static float x[N_ACT];
    fill(x, N_ACT);
    static runner r[4];
    pthread_t t[4];
    for (int k = 0; k < 4; ++k) {
        r[k] = (runner){.op = op, .x = x, .st = SC_OK};
        cr_assert_eq(pthread_create(&t[k], NULL, run_many, &r[k]), 0);
    }
    for (int k = 0; k < 4; ++k) pthread_join(t[k], NULL);
    for (int k = 0; k < 4; ++k) {
        cr_expect_eq(r[k].st, SC_OK, "runner %d", k);
        cr_expect(memcmp(r[k].y, r[0].y, sizeof r[0].y) == 0, "runner %d differs", k);
    }
    cr_expect_eq(atomic_load(&op->gate), 0u);
    cr_expect_eq(sc_conv_plan(op, &d, &d), SC_OK, "%s", sc_last_message());
    sc_conv_destroy(op);
    sc_layer_destroy(l);
}

Test(lifecycle, backward_and_transpose_plans_refused_during_runs)
{
    sc_layer *l = make_layer();
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    float x[N_ACT], y[N_ACT];
    fill(x, N_ACT);
    sc_conv_bwd *b = NULL;
    cr_assert_eq(sc_conv_bwd_create(l, NULL, &b), SC_OK);
    cr_assert_eq(sc_conv_bwd_plan(b, &d, &d), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_gate_run_enter(&b->t.gate, "held run"), SC_OK);
    cr_expect_eq(sc_conv_bwd_plan(b, &d, &d), SC_ESTATE);
    cr_expect_eq(sc_conv_bwd_run(b, x, y), SC_OK, "%s", sc_last_message());
    sc_gate_run_leave(&b->t.gate);
    cr_assert_eq(sc_gate_plan_enter(&b->t.gate, "held plan"), SC_OK);
    cr_expect_eq(sc_conv_bwd_run(b, x, y), SC_ESTATE);
    sc_gate_plan_leave(&b->t.gate);
    cr_expect_eq(sc_conv_bwd_plan(b, &d, &d), SC_OK, "%s", sc_last_message());
    sc_conv_bwd_destroy(b);

    sc_conv_transpose_params p = sc_conv_transpose_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    sc_conv_transpose *t = NULL;
    cr_assert_eq(sc_conv_transpose_create(l, &p, NULL, &t), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_transpose_plan(t, &d, &d), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_gate_run_enter(&t->t.gate, "held run"), SC_OK);
    cr_expect_eq(sc_conv_transpose_plan(t, &d, &d), SC_ESTATE);
    cr_expect_eq(sc_conv_transpose_run(t, x, y), SC_OK, "%s", sc_last_message());
    sc_gate_run_leave(&t->t.gate);
    cr_assert_eq(sc_gate_plan_enter(&t->t.gate, "held plan"), SC_OK);
    cr_expect_eq(sc_conv_transpose_run(t, x, y), SC_ESTATE);
    sc_gate_plan_leave(&t->t.gate);
    cr_expect_eq(sc_conv_transpose_plan(t, &d, &d), SC_OK, "%s", sc_last_message());
    sc_conv_transpose_destroy(t);
    sc_layer_destroy(l);
}

/* SC_THREADS_MAX is accepted, one more is refused with a message naming the cap, on every
 * entry point with a thread count; no thread is started for a refused request. */
Test(lifecycle, thread_count_capped_everywhere)
{
    sc_layer *l = make_layer();
    const int counts[2] = {SC_THREADS_MAX, SC_THREADS_MAX + 1};
    for (int i = 0; i < 2; ++i) {
        const sc_status want = i == 0 ? SC_OK : SC_EINVAL;
        sc_conv_options o = sc_conv_options_default();
        o.threads = counts[i];
        sc_conv *op = NULL;
        cr_expect_eq(sc_conv_create(l, &o, &op), want, "conv %d: %s", counts[i],
                     sc_last_message());
        if (i == 1) cr_expect(strstr(sc_last_message(), "1024") != NULL, "%s", sc_last_message());
        sc_conv_destroy(op);
        sc_conv_bwd_options bo = sc_conv_bwd_options_default();
        bo.threads = counts[i];
        sc_conv_bwd *b = NULL;
        cr_expect_eq(sc_conv_bwd_create(l, &bo, &b), want, "backward %d", counts[i]);
        sc_conv_bwd_destroy(b);
        const sc_conv_transpose_params p = sc_conv_transpose_params_default();
        sc_conv_transpose_options to = sc_conv_transpose_options_default();
        to.threads = counts[i];
        sc_conv_transpose *t = NULL;
        cr_expect_eq(sc_conv_transpose_create(l, &p, &to, &t), want, "transpose %d", counts[i]);
        sc_conv_transpose_destroy(t);
    }
    /* the calls that run at once: only the refused count (no 1024 threads started here) */
    sc_wgrad_options wo = sc_wgrad_options_default();
    wo.threads = 10000;
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    float x[N_ACT], y[N_ACT], dw[C * C * 9];
    fill(x, N_ACT);
    cr_expect_eq(sc_conv_wgrad(l, &wo, &d, x, &d, x, dw), SC_EINVAL, "%s", sc_last_message());
    const sc_wdesc wd = {SC_OIHW, C, C, 3, 3};
    float w[C * C * 9];
    fill(w, C * C * 9);
    sc_conv_params cp = sc_conv_params_default();
    cp.pad_top = cp.pad_left = cp.pad_bottom = cp.pad_right = 1;
    cr_expect_eq(sc_conv_dense(&cp, &wd, w, NULL, NULL, &d, x, &d, y, 10000), SC_EINVAL, "%s",
                 sc_last_message());
    cr_expect(strstr(sc_last_message(), "threads = 10000") != NULL, "%s", sc_last_message());
    sc_layer_destroy(l);
}
