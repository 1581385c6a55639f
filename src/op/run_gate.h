/* src/op/run_gate.h: an operator's gate: runs may overlap each other, never a plan */
#ifndef SC_RUN_GATE_H
#define SC_RUN_GATE_H

#include <stdatomic.h>

#include "sconv/base.h"

/* The count of runs in flight, plus SC_GATE_PLANNING while a plan replaces what runs read.
 * Zero when idle. */
typedef _Atomic unsigned sc_run_gate;
#define SC_GATE_PLANNING 0x80000000u

/* Enter a run: SC_ESTATE (nothing entered) while a plan holds the gate. */
sc_status sc_gate_run_enter(sc_run_gate *g, const char *who);
void sc_gate_run_leave(sc_run_gate *g);

/* Enter a plan: SC_ESTATE (nothing entered) while a run or another plan is in flight. */
sc_status sc_gate_plan_enter(sc_run_gate *g, const char *who);
void sc_gate_plan_leave(sc_run_gate *g);

#endif
