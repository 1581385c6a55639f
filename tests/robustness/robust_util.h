/* tests/robustness/robust_util.h: scratch directories, file snapshots, the allocation walk */
#ifndef ROBUST_UTIL_H
#define ROBUST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sconv.h"

/* A fresh directory under $TMPDIR (or /tmp) into dir (256 bytes); asserts. */
void rb_make_dir(char dir[256]);
/* Remove dir and everything under it (ct_remove_tree). */
void rb_remove_dir(const char *dir);
/* "<dir>/<name>" into out (512 bytes). */
void rb_path(char out[512], const char *dir, const char *name);
/* Write len bytes to path (create/truncate); asserts. */
void rb_write_bytes(const char *path, const void *data, size_t len);
/* The whole file in a malloc'd buffer (free()), or NULL when it does not exist. */
uint8_t *rb_read_bytes(const char *path, size_t *len);
/* Number of entries in dir other than "." and "..". */
int rb_count_entries(const char *dir);
/* Expect path to hold exactly len bytes equal to data. */
void rb_expect_file(const char *path, const void *data, size_t len);

/* Deterministic weights: about keep of them nonzero, values in [-2, 2]. */
void rb_fill(float *w, int64_t n, double keep, unsigned seed);

/* Under AddressSanitizer: assert that LeakSanitizer finds no unreachable allocation now
 * (elsewhere a no-op; rb_leak_check_available says which). */
void rb_expect_no_leak(const char *what);
bool rb_leak_check_available(void);

/* The allocation-failure walk: for N = 1, 2, ... make the N-th library allocation fail,
 * call step(ctx); each failing step must return SC_ENOMEM with a message, then
 * after_failure(ctx) checks that nothing was lost or changed. Stops at the first N where
 * step succeeds (then after_success(ctx), which may be NULL) and asserts that the
 * success did not swallow the injected failure. Returns the number of failure points
 * walked (N - 1 at success) and prints it on stderr as "alloc walk <name>: K points".
 * Under AddressSanitizer every step is followed by a LeakSanitizer check. */
typedef sc_status (*rb_step_fn)(void *ctx);
typedef void (*rb_check_fn)(void *ctx);
int rb_alloc_walk(const char *name, rb_step_fn step, rb_check_fn after_failure,
                  rb_check_fn after_success, void *ctx);

/* Expect two layers to be identical: info, CSR arrays (bit patterns) and bias. */
void rb_expect_same_layer(const sc_layer *a, const sc_layer *b);
/* A packed layer of deterministic weights (asserts). */
sc_layer *rb_layer(const char *name, sc_wlayout layout, int64_t oc, int64_t icg, int64_t kh,
                   int64_t kw, const sc_conv_params *p, sc_pack_order order, bool bias,
                   double keep, unsigned seed);

#endif
