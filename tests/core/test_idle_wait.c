/* tests/core/test_idle_wait.c: waiting for the process's other threads to stop running */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/core.h"

/* A thread that spins (always runnable) until `stop` is set or `spin_s` seconds pass, then
 * sets `done` and ends. */
typedef struct spinner {
    pthread_t thread;
    double spin_s;
    _Atomic int stop, done, tid;
} spinner;

static void *spin(void *arg)
{
    spinner *s = arg;
    atomic_store(&s->tid, sc_thread_id());
    const double start = sc_now_s();
    while (!atomic_load(&s->stop) && sc_now_s() - start < s->spin_s) {
    }
    atomic_store(&s->done, 1);
    return NULL;
}

static void start_spinner(spinner *s, double spin_s)
{
    s->spin_s = spin_s;
    atomic_init(&s->stop, 0);
    atomic_init(&s->done, 0);
    atomic_init(&s->tid, 0);
    cr_assert_eq(pthread_create(&s->thread, NULL, spin, s), 0);
    while (!atomic_load(&s->tid)) {
    }
}

static void stop_spinner(spinner *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
}

Test(idle_wait, thread_ids_are_the_kernels)
{
    spinner s;
    start_spinner(&s, 0.0);
    stop_spinner(&s);
    cr_expect_gt(sc_thread_id(), 0);
    cr_expect_gt(atomic_load(&s.tid), 0);
    cr_expect_neq(atomic_load(&s.tid), sc_thread_id(), "each thread has its own id");
}

/* A foreign spinner that stops by itself after 50 ms: the wait returns only once it has. */
Test(idle_wait, waits_for_a_foreign_spinner)
{
    spinner s;
    start_spinner(&s, 0.05);
    double waited = -1;
    cr_expect_eq(sc_wait_others_idle(NULL, 0, 10.0, &waited), SC_IDLE_QUIET);
    cr_expect(atomic_load(&s.done), "returned while the spinner still ran (after %g s)", waited);
    cr_expect_gt(waited, 0.0);
    stop_spinner(&s);
}

/* The caller's own threads (its OpenMP team) do not count: the wait returns while the
 * spinner listed as own still spins. */
Test(idle_wait, ignores_the_callers_own_threads)
{
    spinner s;
    start_spinner(&s, 60.0);
    const int own[2] = {12345678, atomic_load(&s.tid)};
    cr_expect_eq(sc_wait_others_idle(own, 2, 10.0, NULL), SC_IDLE_QUIET);
    cr_expect_not(atomic_load(&s.done), "the own spinner was waited for");
    stop_spinner(&s);
}

/* A foreign thread that never stops: the wait gives up after max_s. */
Test(idle_wait, gives_up_after_max_s)
{
    spinner s;
    start_spinner(&s, 60.0);
    double waited = -1;
    cr_expect_eq(sc_wait_others_idle(NULL, 0, 0.05, &waited), SC_IDLE_TIMEOUT);
    cr_expect_geq(waited, 0.05);
    cr_expect_not(atomic_load(&s.done));
    stop_spinner(&s);
}

/* Nothing else runs: quiet after two polls. */
Test(idle_wait, quiet_process)
{
    cr_expect_eq(sc_wait_others_idle(NULL, 0, 10.0, NULL), SC_IDLE_QUIET);
}
