# python/sconv/onnx.py: the Conv nodes of an ONNX model as sconv Layers and one .sconv file
"""layers(model) reads every 2-D Conv of an ONNX model (a path or a ModelProto) into
Layers named after their nodes, keeping the model's zeros or pruning them (globally or per
layer); convert(model, path) also writes them into one .sconv file. The `onnx` package is
imported on first use."""
import numpy as np

from ._errors import EUNSUPPORTED, Error, UnsupportedError, error, invalid
from ._layer import Layer, save
from . import _lib
from ._prune import _describe, _spec, mask, mask_global
from ._same import same_pads_2d

_REFUSED_OPS = ('ConvTranspose', 'ConvInteger', 'QLinearConv')


def _onnx():
    try:
        import onnx
        import onnx.numpy_helper  # noqa: F401  (a submodule import makes it an attribute)
        import onnx.shape_inference  # noqa: F401
    except ImportError as e:
        raise ModuleNotFoundError(f'sconv.onnx needs the onnx package ({e}): '
                                  'pip install onnx', name='onnx') from e
    return onnx


def _model(onnx, model):
    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (str, bytes)) or hasattr(model, '__fspath__'):
        return onnx.load(model)
    raise invalid(f'model: {type(model).__name__}: expected a path or an onnx.ModelProto')


def _node_name(node, index):
    return node.name or (node.output[0] if node.output else f'Conv_{index}')


def _constants(onnx, graph):
    """name -> NumPy array for initializers and the outputs of simple Constant nodes."""
    consts = {init.name: init for init in graph.initializer}
    for node in graph.node:
        if node.op_type == 'Constant' and len(node.output) == 1:
            for a in node.attribute:
                if a.name == 'value' and a.type == onnx.AttributeProto.TENSOR:
                    consts[node.output[0]] = a.t
    return consts


def _static_sizes(onnx, model, input_shapes):
    """tensor name -> (h, w) of every 4-D tensor whose spatial size shape inference knows."""
    if input_shapes:
        model = onnx.ModelProto.FromString(model.SerializeToString())
        known = {i.name: i for i in model.graph.input}
        for name, shape in input_shapes.items():
            if name not in known:
                raise invalid(f"input_shapes: no graph input '{name}' (inputs: "
                              f"{', '.join(sorted(known))})")
            dims = known[name].type.tensor_type.shape.dim
            if len(dims) != len(shape):
                raise invalid(f"input_shapes: '{name}' has rank {len(dims)}, got {tuple(shape)}")
            for d, v in zip(dims, shape):
                d.Clear()
                d.dim_value = int(v)
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception:  # a model shape inference cannot follow: sizes stay unknown
        pass
    sizes = {}
    g = model.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) == 4 and all(d.HasField('dim_value') for d in dims[2:]):
            sizes[vi.name] = (dims[2].dim_value, dims[3].dim_value)
    return sizes


def _weights(onnx, role, name, consts, tensor):
    """The float32 array of a constant input, or an error naming the node."""
    if tensor not in consts:
        raise UnsupportedError(EUNSUPPORTED, f"onnx: Conv '{name}': {role} '{tensor}' is not "
                               'an initializer or a Constant: only constant weights can be '
                               'packed')
    a = onnx.numpy_helper.to_array(consts[tensor])
    if a.dtype.kind != 'f':
        raise UnsupportedError(EUNSUPPORTED, f"onnx: Conv '{name}': {role} '{tensor}' has "
                               f'dtype {a.dtype}: expected floating point (float16/32/64)')
    with np.errstate(over='ignore'):
        f = a.astype(np.float32)
    if not np.all(np.isfinite(f)):
        raise invalid(f"onnx: Conv '{name}': {role} '{tensor}' has values that are not finite "
                      'in float32')
    return f


def _attrs(onnx, node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv_params(onnx, node, name, w, sizes):
    """stride, padding (top, left, bottom, right), dilation, groups of a Conv node."""
    at = _attrs(onnx, node)
    kh, kw = w.shape[2], w.shape[3]
    ks = tuple(at.get('kernel_shape', (kh, kw)))
    if ks != (kh, kw):
        raise invalid(f"onnx: Conv '{name}': kernel_shape {list(ks)} differs from the "
                      f'weights {list(w.shape)}')
    stride = tuple(at.get('strides', (1, 1)))
    dil = tuple(at.get('dilations', (1, 1)))
    group = int(at.get('group', 1))
    for key, v in (('strides', stride), ('dilations', dil)):
        if len(v) != 2:
            raise invalid(f"onnx: Conv '{name}': {key} {list(v)}: expected 2 values")
    auto = at.get('auto_pad', b'NOTSET')
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto == 'NOTSET':
        pads = tuple(at.get('pads', (0, 0, 0, 0)))
        if len(pads) != 4:
            raise invalid(f"onnx: Conv '{name}': pads {list(pads)}: expected 4 values "
                          '[top, left, bottom, right]')
    elif auto == 'VALID':
        pads = (0, 0, 0, 0)
    elif auto in ('SAME_UPPER', 'SAME_LOWER'):
        size = sizes.get(node.input[0])
        if size is None and (stride[0] != 1 or stride[1] != 1):
            raise invalid(f"onnx: Conv '{name}': auto_pad {auto} with strides {list(stride)} "
                          f"depends on the input size of '{node.input[0]}', which shape "
                          'inference does not know: give input_shapes={input: shape}')
        pads = same_pads_2d(size, (kh, kw), stride, dil, auto == 'SAME_LOWER',
                            f"onnx: Conv '{name}'")
    else:
        raise invalid(f"onnx: Conv '{name}': auto_pad '{auto}': expected NOTSET, VALID, "
                      'SAME_UPPER or SAME_LOWER')
    return stride, pads, dil, group


def _read(model, input_shapes):
    """[(name, w, bias, stride, pads, dilation, group)] for every Conv, in graph order."""
    onnx = _onnx()
    model = _model(onnx, model)
    graph = model.graph
    consts = _constants(onnx, graph)
    sizes = None
    convs, names = [], set()
    for index, node in enumerate(graph.node):
        if node.op_type in _REFUSED_OPS:
            raise UnsupportedError(EUNSUPPORTED, f"onnx: {node.op_type} '{_node_name(node, index)}'"
                                   ': only Conv (2-D, float) is supported')
        if node.op_type != 'Conv':
            continue
        name = _node_name(node, index)
        if name in names:
            raise invalid(f"onnx: two Conv nodes are named '{name}'")
        names.add(name)
        if len(node.input) < 2:
            raise invalid(f"onnx: Conv '{name}': {len(node.input)} inputs, expected 2 or 3")
        w = _weights(onnx, 'weight', name, consts, node.input[1])
        if w.ndim != 4:
            raise UnsupportedError(EUNSUPPORTED, f"onnx: Conv '{name}': weights of shape "
                                   f'{list(w.shape)} make a {w.ndim - 2}-D convolution: only '
                                   '2-D is supported')
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = _weights(onnx, 'bias', name, consts, node.input[2]).reshape(-1)
        if sizes is None and any(a.name == 'auto_pad' for a in node.attribute):
            sizes = _static_sizes(onnx, model, input_shapes)
        stride, pads, dil, group = _conv_params(onnx, node, name, w, sizes or {})
        convs.append((name, w, bias, stride, pads, dil, group))
    return convs


def layers(model, sparsity=None, method='global', convention='torch', *, skip_first=False,
           skip=(), order='chw', input_shapes=None):
    """Every 2-D Conv of an ONNX model (a path or an onnx.ModelProto) as a dict
    name -> Layer in graph order, named after the node (or its output).

    sparsity=None keeps the weights as they are (their zeros are not stored). Otherwise
    method 'global' removes that fraction of all pruned convs' weights by magnitude,
    ranked together; any other sconv.prune method ('l1', 'nm:2:4', ...) prunes each conv
    alone. skip_first keeps the first conv dense, skip names others to keep.
    input_shapes ({graph input: shape}) fixes dynamic sizes for auto_pad SAME."""
    convs = _read(model, input_shapes)
    skipped = set(skip)
    if skip_first and convs:
        skipped.add(convs[0][0])
    unknown = skipped - {c[0] for c in convs}
    if unknown:
        raise invalid(f"skip: no Conv named {', '.join(sorted(unknown))}")
    keep = {}
    pruned = [c for c in convs if c[0] not in skipped]
    if sparsity is not None and pruned:
        if method == 'global':
            masks = mask_global([c[1] for c in pruned], sparsity, 'oihw', 'global', convention)
            keep = {c[0]: m for c, m in zip(pruned, masks)}
        else:
            keep = {c[0]: mask(c[1], 'oihw', sparsity, method, convention, order=order,
                               groups=c[6]) for c in pruned}
    recorded = (None, None)
    if keep:
        spec = _spec(sparsity, method, convention, None, None, order, 1)
        recorded = (_lib.sc_prune_method_name(spec.method).decode(), _describe(spec))
    out = {}
    for name, w, bias, stride, pads, dil, group in convs:
        by, params = recorded if name in keep else (None, None)
        try:
            out[name] = Layer(w, keep.get(name), layout='oihw', stride=stride, padding=pads,
                              dilation=dil, groups=group, bias=bias, name=name, order=order,
                              method=by, method_params=params)
        except Error as e:  # the library's rule, said of this node
            raise error(e.status, f"onnx: Conv '{name}': {e.detail}") from None
    return out


def convert(model, path, sparsity=None, method='global', convention='torch', **kwargs):
    """layers(model, ...) written to one .sconv file at path; returns the dict."""
    result = layers(model, sparsity, method, convention, **kwargs)
    if not result:
        raise invalid('onnx: the model has no Conv node: nothing to write')
    save(path, result.values())
    return result
