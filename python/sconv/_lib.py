# python/sconv/_lib.py: load _libsconv.so and declare the C structs and functions it exports
"""ctypes mirror of include/sconv/*.h: field order and types follow the headers exactly."""
import ctypes
import os
from ctypes import (POINTER, Structure, c_char_p, c_double, c_float, c_int, c_int64,
                    c_size_t, c_uint8, c_void_p)

_here = os.path.dirname(os.path.abspath(__file__))
# SCONV_LIBRARY points at another build of the library (a development checkout's build dir).
lib = ctypes.CDLL(os.environ.get('SCONV_LIBRARY') or os.path.join(_here, '_libsconv.so'))

c_enum = c_int  # C enums here are int-sized


class Params(Structure):  # sc_conv_params
    _fields_ = [('stride_h', c_int64), ('stride_w', c_int64),
                ('pad_top', c_int64), ('pad_left', c_int64),
                ('pad_bottom', c_int64), ('pad_right', c_int64),
                ('dil_h', c_int64), ('dil_w', c_int64), ('groups', c_int64)]


class WDesc(Structure):  # sc_wdesc
    _fields_ = [('layout', c_enum), ('oc', c_int64), ('icg', c_int64),
                ('kh', c_int64), ('kw', c_int64)]


class Tensor(Structure):  # sc_tensor
    _fields_ = [('dims', c_int64 * 4), ('strides', c_int64 * 4)]


class Activation(Structure):  # sc_activation
    _fields_ = [('kind', c_enum), ('lo', c_float), ('hi', c_float)]


class ConvOptions(Structure):  # sc_conv_options
    _fields_ = [('act', Activation), ('bias', c_void_p), ('threads', c_int),
                ('engine', c_enum), ('kernel', c_enum), ('auto_mode', c_enum),
                ('accumulate', c_int)]


class ConvChoice(Structure):  # sc_conv_choice
    _fields_ = [('engine', c_enum), ('kernel', c_char_p), ('reason', c_char_p),
                ('measured', c_int), ('ms_sparse', c_double), ('ms_dense', c_double),
                ('ms_waited', c_double), ('rule', c_enum), ('sparsity', c_double),
                ('threshold', c_double)]


class PackOptions(Structure):  # sc_pack_options
    _fields_ = [('name', c_char_p), ('params', Params), ('order', c_enum), ('bias', c_void_p),
                ('method', c_char_p), ('method_params', c_char_p), ('kind', c_enum),
                ('out_pad_h', c_int64), ('out_pad_w', c_int64)]


class LayerInfo(Structure):  # sc_layer_info
    _fields_ = [('name', c_char_p), ('wdesc', WDesc), ('params', Params), ('order', c_enum),
                ('nnz', c_int64), ('sparsity', c_double), ('bias', POINTER(c_float)),
                ('method', c_char_p), ('method_params', c_char_p),
                ('l1_kept', c_double), ('l2_kept', c_double),
                ('bytes_packed', c_int64), ('bytes_dense', c_int64),
                ('kind', c_enum), ('out_pad_h', c_int64), ('out_pad_w', c_int64)]


class PruneSpec(Structure):  # sc_prune_spec
    _fields_ = [('method', c_enum), ('amount', c_double), ('count', c_int64),
                ('threshold', c_double), ('convention', c_enum),
                ('block_r', c_int64), ('block_c', c_int64), ('block_score', c_enum),
                ('n', c_int64), ('m', c_int64), ('norm_p', c_double), ('order', c_enum),
                ('groups', c_int64)]


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


status = c_int
layer_p = c_void_p
sc_strerror = _fn('sc_strerror', c_char_p, status)
sc_last_message = _fn('sc_last_message', c_char_p)
sc_version = _fn('sc_version', c_char_p)

sc_wlayout_parse = _fn('sc_wlayout_parse', status, c_char_p, POINTER(c_enum))
sc_wlayout_name = _fn('sc_wlayout_name', c_char_p, c_enum)
sc_wdesc_from_shape = _fn('sc_wdesc_from_shape', status, c_enum, POINTER(c_int64),
                          POINTER(WDesc))
sc_wdesc_shape = _fn('sc_wdesc_shape', None, POINTER(WDesc), POINTER(c_int64))
sc_pack_order_parse = _fn('sc_pack_order_parse', status, c_char_p, POINTER(c_enum))
sc_pack_order_name = _fn('sc_pack_order_name', c_char_p, c_enum)
sc_layer_kind_name = _fn('sc_layer_kind_name', c_char_p, c_enum)
sc_conv_params_default = _fn('sc_conv_params_default', Params)
sc_conv_output_hw = _fn('sc_conv_output_hw', status, POINTER(Params), c_int64, c_int64, c_int64,
                        c_int64, POINTER(c_int64), POINTER(c_int64))
sc_conv_params_check = _fn('sc_conv_params_check', status, POINTER(Params))

sc_pack_options_default = _fn('sc_pack_options_default', PackOptions)
sc_layer_pack = _fn('sc_layer_pack', status, POINTER(WDesc), c_void_p, c_void_p,
                    POINTER(PackOptions), POINTER(layer_p))
sc_layer_unpack = _fn('sc_layer_unpack', status, layer_p, c_enum, c_void_p)
sc_layer_destroy = _fn('sc_layer_destroy', None, layer_p)
sc_layer_get_info = _fn('sc_layer_get_info', status, layer_p, POINTER(LayerInfo))

sc_file_write = _fn('sc_file_write', status, c_char_p, POINTER(layer_p), c_size_t)
sc_layer_load = _fn('sc_layer_load', status, c_char_p, c_char_p, POINTER(layer_p))
sc_file_read = _fn('sc_file_read', status, c_char_p, POINTER(POINTER(layer_p)),
                   POINTER(c_size_t))
# Frees the array only when given n = 0: the layers themselves now belong to Python.
sc_layers_destroy = _fn('sc_layers_destroy', None, POINTER(layer_p), c_size_t)

sc_prune_spec_default = _fn('sc_prune_spec_default', PruneSpec)
sc_prune_spec_parse = _fn('sc_prune_spec_parse', status, c_char_p, POINTER(PruneSpec))
sc_prune_method_name = _fn('sc_prune_method_name', c_char_p, c_enum)
sc_prune_convention_parse = _fn('sc_prune_convention_parse', status, c_char_p,
                                POINTER(c_enum))
sc_prune_spec_describe = _fn('sc_prune_spec_describe', status, POINTER(PruneSpec), c_char_p,
                             c_size_t)
sc_prune_mask = _fn('sc_prune_mask', status, POINTER(PruneSpec), POINTER(WDesc), c_void_p,
                    c_void_p)
sc_prune_mask_global = _fn('sc_prune_mask_global', status, POINTER(PruneSpec), c_size_t,
                           POINTER(POINTER(WDesc)), POINTER(c_void_p), POINTER(c_void_p))

sc_activation_check = _fn('sc_activation_check', status, POINTER(Activation))
sc_conv_options_default = _fn('sc_conv_options_default', ConvOptions)
sc_conv_create = _fn('sc_conv_create', status, layer_p, POINTER(ConvOptions), POINTER(c_void_p))
sc_conv_plan = _fn('sc_conv_plan', status, c_void_p, POINTER(Tensor), POINTER(Tensor))
sc_conv_run = _fn('sc_conv_run', status, c_void_p, c_void_p, c_void_p)
sc_conv_describe = _fn('sc_conv_describe', status, c_void_p, POINTER(ConvChoice))
sc_conv_destroy = _fn('sc_conv_destroy', None, c_void_p)
sc_conv_reference = _fn('sc_conv_reference', status, POINTER(Params), POINTER(WDesc), c_void_p,
                        c_void_p, POINTER(Activation), POINTER(Tensor), c_void_p,
                        POINTER(Tensor), c_void_p)

u8_p = POINTER(c_uint8)
