/* src/op/kernel_choice.h: a kernel choice checked against the CPU and SCONV_ISA, as an ISA */
#ifndef SC_KERNEL_CHOICE_H
#define SC_KERNEL_CHOICE_H

#include "sconv/conv.h"
#include "sparse/ukernels/spmm.h"

/* SC_EINVAL for a value outside the enum, SC_EUNSUPPORTED for an ISA this CPU lacks or
 * SCONV_ISA excludes (sc_cpu_isa); `who` names the caller in the message. */
sc_status sc_kernel_choice_check(const char *who, sc_kernel_choice k);

/* The ISA of the row kernels for a checked choice: auto = the best the library may use. */
sc_isa sc_kernel_isa(sc_kernel_choice k);

#endif
