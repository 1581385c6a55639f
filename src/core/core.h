/* src/core/core.h: internal helpers shared by every module: errors, allocation, sizes, CPU */
#ifndef SC_CORE_H
#define SC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sconv/tensor.h"
#include "sconv/weights.h"

/* Record a formatted message for sc_last_message() on this thread and return st. */
sc_status sc_fail(sc_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation: every library allocation goes through these, so tests can fail the
 * n-th one and a limit can refuse absurd sizes before the system is asked.
 * sc_malloc(0) returns a unique pointer; sizes above the limit return NULL. */
void *sc_malloc(size_t size);
void *sc_calloc(size_t count, size_t size);
void *sc_aligned_alloc(size_t alignment, size_t size);  /* free with sc_free */
void sc_free(void *p);

/* Allocate count*size bytes or fail with a message naming `what`:
 * SC_EOVERFLOW when the product overflows, SC_ENOMEM otherwise. */
sc_status sc_alloc_array(void **out, size_t count, size_t size, bool zero, const char *what);

/* Largest single allocation the library makes (bytes); default SC_DEFAULT_ALLOC_LIMIT,
 * or SCONV_MAX_ALLOC from the environment (bytes, with optional K/M/G/T suffix). */
#define SC_DEFAULT_ALLOC_LIMIT ((size_t)16 << 30)
size_t sc_alloc_limit(void);
void sc_alloc_set_limit(size_t bytes);  /* 0 restores the default */

/* Test hook: make the n-th allocation from now fail (n >= 1), 0 disables.
 * Returns how many allocations happened since the last call. */
uint64_t sc_alloc_fail_at(uint64_t n);

/* Element strides of the logical weight axes (o, i, h, w) in wd's layout: weight (o, i, h, w)
 * sits at o*s[0] + i*s[1] + h*s[2] + w*s[3] (weights.c). Zeros for a NULL wd or an unknown
 * layout. */
void sc_wdesc_strides(const sc_wdesc *wd, int64_t strides[4]);

/* Overflow-checked arithmetic on int64_t: return true on overflow. */
static inline bool sc_mul_ovf(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}
static inline bool sc_add_ovf(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_add_overflow(a, b, out);
}
/* Product of n extents (each >= 0) or -1 on overflow (beyond INT64_MAX or SIZE_MAX). */
int64_t sc_checked_product(const int64_t *ext, int n);

/* The transposed conv's output padding rule, per axis: 0 <= out_pad < max(stride, dil)
 * (conv_shapes.c). Callers word their own messages. */
bool sc_out_pad_ok(int64_t out_pad, int64_t stride, int64_t dil);

/* Whether [a, a + na) and [b, b + nb) share a byte (overlap.c); NULL or empty never does.
 * Safe for ranges near the top of the address space. */
bool sc_bytes_overlap(const void *a, size_t na, const void *b, size_t nb);
/* The bytes a checked view addresses from its base: span * sizeof(float). */
size_t sc_tensor_bytes(const sc_tensor *t);

/* SC_EINVAL naming `who` unless 0 <= threads <= SC_THREADS_MAX (threads.c). */
sc_status sc_threads_check(const char *who, int threads);

/* CPU features the kernels need, as a bit set: a kernel may run when the features it needs
 * are a subset of the allowed set. x86 bits first; the arm bits are reserved for a port. */
typedef uint32_t sc_cpu_set;
enum {
    SC_CPU_AVX2 = 1u << 0,
    SC_CPU_FMA = 1u << 1,
    SC_CPU_AVX512F = 1u << 2,
    SC_CPU_AVX512BW = 1u << 3,
    SC_CPU_AVX512DQ = 1u << 4,
    SC_CPU_AVX512VL = 1u << 5,
    SC_CPU_NEON = 1u << 16,
    SC_CPU_SVE = 1u << 17,
};
/* The sets the x86 kernels are compiled for (-mavx2 -mfma; -mavx512{f,bw,dq,vl} on top). */
#define SC_CPU_X86_AVX2 (SC_CPU_AVX2 | SC_CPU_FMA)
#define SC_CPU_X86_AVX512 \
    (SC_CPU_X86_AVX2 | SC_CPU_AVX512F | SC_CPU_AVX512BW | SC_CPU_AVX512DQ | SC_CPU_AVX512VL)

/* Whether every feature of need is in have. */
static inline bool sc_cpu_set_has(sc_cpu_set have, sc_cpu_set need)
{
    return (need & ~have) == 0;
}

/* The features this CPU has, detected once (cpu.c). */
sc_cpu_set sc_cpu_features_hw(void);
/* The features the library's kernels may use: sc_cpu_features_hw() capped by the SCONV_ISA
 * environment variable, read once at the first call (isa_cap.c). Every kernel choice goes
 * through it. */
sc_cpu_set sc_cpu_features(void);
/* The features SCONV_ISA text leaves of hw: "portable" none, "avx2" hw & SC_CPU_X86_AVX2,
 * "avx512" hw & SC_CPU_X86_AVX512 (any case); NULL, "" or any other text leaves hw. */
sc_cpu_set sc_cpu_features_cap(const char *text, sc_cpu_set hw);

/* The named levels of SCONV_ISA and of the kernel choice (sconv/conv.h), each a feature set
 * (sc_isa_features); a level is only a name, kernel lists pick by sets. */
typedef enum sc_isa { SC_ISA_NONE = 0, SC_ISA_AVX2 = 1, SC_ISA_AVX512 = 2 } sc_isa;
/* portable: none; avx2: SC_CPU_X86_AVX2; avx512: SC_CPU_X86_AVX512. */
sc_cpu_set sc_isa_features(sc_isa isa);
/* The highest level whose features are all in set. */
sc_isa sc_isa_of(sc_cpu_set set);

/* The highest level this CPU runs: sc_isa_of(sc_cpu_features_hw()). */
sc_isa sc_cpu_isa_hw(void);
/* The highest level the library uses: sc_isa_of(sc_cpu_features()). */
sc_isa sc_cpu_isa(void);
/* The level SCONV_ISA text leaves on a CPU that runs hw (sc_cpu_features_cap on the level's
 * features): "portable", "avx2" or "avx512" (any case) give that level, lowered to hw when
 * the CPU lacks it; NULL, "" or any other text leaves hw (no cap). */
sc_isa sc_isa_cap(const char *text, sc_isa hw);
/* "portable", "avx2" or "avx512". */
const char *sc_isa_name(sc_isa isa);
/* Whether the library may use AVX2 + FMA, AVX-512 (F, BW, DQ and VL): sc_cpu_features(). */
bool sc_cpu_has_avx2_fma(void);
bool sc_cpu_has_avx512(void);
/* L1 data cache of one core in bytes (32 KiB when the system does not say). */
int64_t sc_cpu_l1d_bytes(void);
/* L2 cache of one core in bytes (512 KiB when the system does not say). */
int64_t sc_cpu_l2_bytes(void);

/* Sort v ascending in place (median.c). */
void sc_sort_doubles(double *v, size_t n);
/* Sort v in place and return its median (the mean of the middle two for even n); NaN for
 * n == 0. The minimum is v[0] afterwards. */
double sc_median(double *v, size_t n);

/* Seconds on the monotonic clock (clock.c): differences only; every timing reads it. */
double sc_now_s(void);

/* Other threads of the process (idle_wait.c). */
typedef enum { SC_IDLE_QUIET, SC_IDLE_TIMEOUT, SC_IDLE_UNKNOWN } sc_idle;
/* The kernel's id of the calling thread (Linux gettid), -1 where there is none. */
int sc_thread_id(void);
/* Poll every 0.2 ms until two polls in a row find no thread of this process running or
 * waiting for a CPU other than the caller and the `n_own` thread ids in `own`:
 * SC_IDLE_QUIET; SC_IDLE_TIMEOUT after max_s seconds; SC_IDLE_UNKNOWN at once where
 * thread states cannot be read (no /proc). *waited_s (may be NULL) gets the seconds spent. */
sc_idle sc_wait_others_idle(const int *own, int n_own, double max_s, double *waited_s);

#endif
