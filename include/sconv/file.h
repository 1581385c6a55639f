/* include/sconv/file.h: .sconv files: named packed layers in the safetensors layout */
#ifndef SCONV_FILE_H
#define SCONV_FILE_H

#include "sconv/layer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The file format is specified in docs/format.md: the safetensors layout (8-byte header
 * length, JSON header, data), per layer "<name>.row_ptr/.col_idx/.values/.bias" tensors and
 * "<name>.<key>" metadata, a CRC-32 per layer. Statuses: SC_EFORMAT for a malformed file
 * (the message names the problem), SC_EUNSUPPORTED for a newer format_version, SC_EIO when
 * the system refuses a read or write, SC_ENOMEM; outputs untouched on failure. */

/* Write n >= 1 layers (distinct names) to path, atomically (temporary file + rename): the
 * old file survives any failure and the replacement keeps its owner and mode; a symbolic
 * link is followed, a device or FIFO written in place (docs/robustness.md, "Output paths").
 * SC_EINVAL for duplicate names or a name that is not UTF-8. The same layers always give the same bytes. */
SC_API sc_status sc_file_write(const char *path, const sc_layer *const *layers, size_t n);

/* Read one layer by name (NULL: the file must hold exactly one layer). Validates
 * the whole file before use. SC_EINVAL when the name is absent (the message lists the
 * names the file holds) or when name is NULL and the file holds several layers. */
SC_API sc_status sc_layer_load(const char *path, const char *name, sc_layer **out);

/* Read every layer, in file order: *layers is an array of *n layers, freed by
 * sc_layers_destroy. */
SC_API sc_status sc_file_read(const char *path, sc_layer ***layers, size_t *n);

/* The same from a buffer holding the whole file. */
SC_API sc_status sc_file_parse(const void *buf, size_t len, sc_layer ***layers, size_t *n);

/* Destroy each layer and the array; NULL is fine. */
SC_API void sc_layers_destroy(sc_layer **layers, size_t n);

#ifdef __cplusplus
}
#endif
#endif
