/* src/sparse/kernel_choice.h: a kernel choice checked against the CPU and SCONV_ISA, as a feature set */
#ifndef SC_KERNEL_CHOICE_H
#define SC_KERNEL_CHOICE_H

#include "sconv/conv.h"
#include "sparse/ukernels/spmm.h"

/* SC_EINVAL for a value outside the enum, SC_EUNSUPPORTED for a level whose features this
 * CPU lacks or SCONV_ISA excludes (sc_cpu_features); `who` names the caller in the message. */
sc_status sc_kernel_choice_check(const char *who, sc_kernel_choice k);

/* The features the kernels of a checked choice may use, which every kernel list picks from:
 * portable none, avx2 and avx512 their level's set, auto sc_cpu_features(). */
sc_cpu_set sc_kernel_features(sc_kernel_choice k);

/* The level of those features (sc_isa_of). */
sc_isa sc_kernel_isa(sc_kernel_choice k);

#endif
