/* include/sconv/base.h: status codes, error messages, version */
#ifndef SCONV_BASE_H
#define SCONV_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCONV_VERSION_MAJOR 0
#define SCONV_VERSION_MINOR 1
#define SCONV_VERSION_PATCH 0

/* SC_API marks a function libsconv.so exports. The library is compiled with hidden
 * visibility, so what include/ declares with SC_API is the whole of its dynamic symbol
 * table; everything else stays internal (tests/install/test_exports.py checks this). */
#if defined(__GNUC__) || defined(__clang__)
#define SC_API __attribute__((visibility("default")))
#else
#define SC_API
#endif

/* Every public function returns one of these (or NULL plus sc_last_message()). A NULL
 * pointer argument gives SC_EINVAL with a message, and the outputs untouched, unless the
 * function's comment says what NULL means there (destroy functions accept NULL; functions
 * that return no status give the value their comment names); none crashes on NULL. */
typedef enum sc_status {
    SC_OK = 0,
    SC_EINVAL,        /* an argument breaks a documented rule */
    SC_ENOMEM,        /* an allocation failed or exceeds the allocation limit */
    SC_EOVERFLOW,     /* a size product does not fit the integer type */
    SC_EUNSUPPORTED,  /* valid, but not supported by this build or CPU */
    SC_ESTATE,        /* a lifecycle step called out of order */
    SC_EIO,           /* the operating system refused a read or write */
    SC_EFORMAT,       /* a file is malformed */
    SC_ENUMERIC       /* a numerical check failed (NaN/Inf where finite is required) */
} sc_status;

/* The largest thread count an options struct (or sc_conv_dense) accepts; 0 means the OpenMP
 * default. Larger requests get SC_EINVAL: each call starts its threads afresh, and beyond a
 * few per core they only add start-up time and memory (the sconv command caps --threads
 * at the same value). */
#define SC_THREADS_MAX 1024

/* A fixed, human-readable name for a status ("invalid argument"); never NULL. */
SC_API const char *sc_strerror(sc_status st);

/* The detail of the last failure on this thread ("conv: stride 0 x 1: ..."); never NULL. */
SC_API const char *sc_last_message(void);

/* "MAJOR.MINOR.PATCH" of the linked library. */
SC_API const char *sc_version(void);

/* The largest single allocation the library makes, in bytes (process-wide). A request
 * above it fails with SC_ENOMEM and a message naming the size and the limit, before the
 * system is asked. The default is 16 GiB, or the environment variable SCONV_MAX_ALLOC
 * (bytes, optional K/M/G/T suffix: "512M", "4G") when set; bytes = 0 restores that default.
 * Always SC_OK. Allocations inside OpenBLAS, OpenMP and jansson are not covered. */
SC_API sc_status sc_set_alloc_limit(size_t bytes);
/* The limit in force, in bytes. */
SC_API size_t sc_get_alloc_limit(void);

#ifdef __cplusplus
}
#endif
#endif
