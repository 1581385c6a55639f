/* src/dense/blas_threads.c: keep OpenBLAS single-threaded; sconv threads the dense path itself */
#include <cblas.h>

#include "dense/dense_impl.h"

/* OpenBLAS's thread count is one process-wide setting, so it cannot follow a per-call
 * `threads` argument safely when several sconv calls run at once. sc_conv_dense instead
 * splits (image, pixel tile) work items over OpenMP threads and runs one single-threaded
 * sgemm per tile: the `threads` argument is honoured exactly, packing and epilogue run
 * in parallel too, and no OpenBLAS worker pool competes with the OpenMP team.
 * The cost is global: before its gemms sc_conv_dense sets OpenBLAS to one thread
 * (openblas_set_num_threads(1)) and leaves it so. A program that also calls OpenBLAS
 * directly and wants it multithreaded must set its count again after sconv calls, and
 * must not change it while a sconv call runs (a multithreaded pthreads OpenBLAS called
 * from inside an OpenMP team oversubscribes the cores and may print its "OpenMP loop"
 * warning). The setter is only called when the count differs, so concurrent sconv calls
 * merely store the same value. */
void sc_dense_blas_single_thread(void)
{
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}
