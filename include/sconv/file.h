/* include/sconv/file.h: .sconv files: named packed layers in the safetensors layout */
#ifndef SCONV_FILE_H
#define SCONV_FILE_H

#include "sconv/layer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write n layers (distinct names) to path, atomically (temporary file + rename). */
sc_status sc_file_write(const char *path, const sc_layer *const *layers, size_t n);

/* Read one layer by name (NULL: the file must hold exactly one layer). Validates
 * the whole file before use. */
sc_status sc_layer_load(const char *path, const char *name, sc_layer **out);

/* Read every layer: *layers is an array of *n layers, freed by sc_layers_destroy. */
sc_status sc_file_read(const char *path, sc_layer ***layers, size_t *n);

/* The same from a buffer holding the whole file. */
sc_status sc_file_parse(const void *buf, size_t len, sc_layer ***layers, size_t *n);

/* Destroy each layer and the array; NULL is fine. */
void sc_layers_destroy(sc_layer **layers, size_t n);

#ifdef __cplusplus
}
#endif
#endif
