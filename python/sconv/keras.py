# python/sconv/keras.py: a Keras Conv2D or DepthwiseConv2D as an sconv Layer and Conv2d
"""layer(k) packs the weights of a built Keras Conv2D (tf_keras / Keras 2 or Keras 3, plain
or TF-MOT-pruned after strip_pruning) or DepthwiseConv2D, with its strides, dilation,
groups, bias and padding ('same' computed exactly as TensorFlow pads); conv2d(k) also maps
its activation and runs on NHWC arrays by default. Keras is not imported: the layer is read
through get_config() and get_weights()."""
from ._conv import Conv2d
from ._errors import EUNSUPPORTED, UnsupportedError, invalid
from ._layer import Layer, float_array, pair
from ._same import same_pads_2d

_CONVS = ('Conv2D', 'Convolution2D')
_DEPTHWISE = ('DepthwiseConv2D',)
_ACTS = {'linear': None, None: None, 'relu': 'relu', 'relu6': 'relu6'}


def _kind(k):
    cls = type(k).__name__
    if cls in _CONVS or cls in _DEPTHWISE:
        return cls in _DEPTHWISE
    name = getattr(k, 'name', '?')
    if cls == 'PruneLowMagnitude':
        raise UnsupportedError(EUNSUPPORTED, f"keras: layer '{name}' is wrapped by TF-MOT's "
                               'prune_low_magnitude: call tfmot.sparsity.keras.strip_pruning '
                               'on the model first')
    raise UnsupportedError(EUNSUPPORTED, f"keras: layer '{name}' is a {cls}: expected Conv2D "
                           'or DepthwiseConv2D')


def _known_size(k, channels_last):
    """(h, w) of the layer's input when Keras knows it (a layer inside a model), else None."""
    shape = None
    for get in (lambda: k.input_shape, lambda: k.input.shape):
        try:
            shape = tuple(get())
            break
        except Exception:  # not connected, or several inputs: the size stays unknown
            continue
    if shape is None or len(shape) != 4:
        return None
    hw = shape[1:3] if channels_last else shape[2:4]
    return None if any(d is None for d in hw) else (int(hw[0]), int(hw[1]))


def _activation_name(k):
    act = k.get_config().get('activation')
    if isinstance(act, dict):  # Keras 3 may serialize a builtin as {'config': 'relu', ...}
        act = act.get('config')
    if callable(act):
        act = getattr(act, '__name__', act)
    return act


def activation(k):
    """The sconv act of a Keras conv layer's activation: None ('linear'), 'relu' or
    'relu6'; any other activation raises UnsupportedError."""
    _kind(k)
    act = _activation_name(k)
    if act not in _ACTS:
        raise UnsupportedError(EUNSUPPORTED, f"keras: layer '{k.name}': activation {act!r} "
                               "has no sconv epilogue (linear, relu, relu6): use layer() and "
                               'apply it after the convolution')
    return _ACTS[act]


def layer(k, input_size=None, *, name=None, order='hwc'):
    """The Layer of a built Keras Conv2D or DepthwiseConv2D: HWIO weights (depthwise
    kernels (kh, kw, C, mult) become C groups of mult filters, output channel c*mult + m as
    TensorFlow orders them), strides, dilation_rate, groups, bias. padding='same' with a
    stride above 1 depends on the input size: give input_size=(h, w) unless the layer sits
    in a model that knows it. The activation is not part of a Layer (see conv2d)."""
    depthwise = _kind(k)
    cfg = k.get_config()
    lname = k.name if name is None else name
    ws = k.get_weights()
    if not ws:
        raise invalid(f"keras: layer '{k.name}' has no weights yet: build it (call it once "
                      'or give it an input shape) first')
    kernel = float_array(ws[0], f"keras: layer '{k.name}': kernel")
    if kernel.ndim != 4:
        raise invalid(f"keras: layer '{k.name}': kernel of shape {kernel.shape}: expected 4-D")
    use_bias = bool(cfg.get('use_bias', True))
    bias = float_array(ws[1], f"keras: layer '{k.name}': bias") if use_bias else None
    kh, kw, cin, mult = kernel.shape
    if depthwise:
        kernel = kernel.reshape(kh, kw, 1, cin * mult)
        groups = cin
    else:
        groups = int(cfg.get('groups', 1))
    stride = pair(tuple(cfg.get('strides', (1, 1))), 'strides')
    dil = pair(tuple(cfg.get('dilation_rate', (1, 1))), 'dilation_rate')
    channels_last = cfg.get('data_format', 'channels_last') in (None, 'channels_last')
    padding = str(cfg.get('padding', 'valid')).lower()
    if padding == 'valid':
        pads = (0, 0, 0, 0)
    elif padding == 'same':
        size = _known_size(k, channels_last) if input_size is None else \
            pair(input_size, 'input_size')
        pads = same_pads_2d(size, (kh, kw), stride, dil, False, f"keras: layer '{k.name}'")
    else:
        raise invalid(f"keras: layer '{k.name}': padding {padding!r}: expected 'valid' or "
                      "'same'")
    return Layer(kernel, layout='hwio', stride=stride, padding=pads, dilation=dil,
                 groups=groups, bias=bias, name=lname, order=order)


def conv2d(k, input_size=None, *, layout='nhwc', order='hwc', **conv_args):
    """A Conv2d running the Keras layer: its Layer (see layer()) with its activation as the
    epilogue, on arrays in layout ('nhwc' as Keras holds them, or 'nchw'). conv_args go to
    Conv2d (threads, engine, ...)."""
    act = activation(k)
    return Conv2d(layer(k, input_size, order=order), act=act, layout=layout, **conv_args)
