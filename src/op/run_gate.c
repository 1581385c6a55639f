/* src/op/run_gate.c: refuse a plan while runs read the old plan, and a run while a plan replaces it */
#include "core/core.h"
#include "op/run_gate.h"

sc_status sc_gate_run_enter(sc_run_gate *g, const char *who)
{
    const unsigned before = atomic_fetch_add(g, 1u);
    if (before & SC_GATE_PLANNING) {
        atomic_fetch_sub(g, 1u);
        return sc_fail(SC_ESTATE, "%s: the operator is being planned on another thread; a run "
                       "may overlap other runs, not a plan", who);
    }
    return SC_OK;
}

void sc_gate_run_leave(sc_run_gate *g)
{
    atomic_fetch_sub(g, 1u);
}

sc_status sc_gate_plan_enter(sc_run_gate *g, const char *who)
{
    unsigned idle = 0;
    if (!atomic_compare_exchange_strong(g, &idle, SC_GATE_PLANNING))
        return sc_fail(SC_ESTATE, "%s: %s in flight on this operator; plan once no run "
                       "(or other plan) is running", who,
                       idle & SC_GATE_PLANNING ? "another plan is" : "a run is");
    return SC_OK;
}

void sc_gate_plan_leave(sc_run_gate *g)
{
    atomic_fetch_and(g, ~SC_GATE_PLANNING);
}
