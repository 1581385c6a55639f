/* tests/io/test_io_util.h: scratch directories and small file helpers for the io tests */
#ifndef TEST_IO_UTIL_H
#define TEST_IO_UTIL_H

#include <stddef.h>

/* Create a fresh directory under $TMPDIR (or /tmp) into dir (64 bytes); asserts. */
void tio_make_dir(char dir[64]);
/* tio_make_dir, and path (cap bytes) = dir/name; asserts. */
void tio_scratch(char dir[64], char *path, size_t cap, const char *name);
/* Remove dir and everything under it (ct_remove_tree). */
void tio_remove_dir(const char *dir);
/* Write len bytes to path (create/truncate); asserts. */
void tio_write_bytes(const char *path, const void *data, size_t len);
/* Expect path to hold exactly the NUL-terminated text. */
void tio_expect_file(const char *path, const char *text);
/* Number of entries in dir other than "." and "..". */
int tio_count_entries(const char *dir);

#endif
