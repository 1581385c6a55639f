# python/sconv/torch/_pool_nodes.py: put a ChannelsLastPool in place of each 2-D max-pool call
"""The calls replaced: a plain nn.MaxPool2d module (torch's own forward, no hooks) and
F.max_pool2d / torch.max_pool2d, with constant pooling arguments and no indices returned
(torch.fx traces return_indices=True as max_pool2d_with_indices, left alone)."""
import inspect

import torch
import torch.fx
import torch.nn.functional as F

from ._pool import ChannelsLastPool


def _f_max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                  return_indices=False):
    pass


def _torch_max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    pass


_FUNCTIONS = {F.max_pool2d: _f_max_pool2d, torch.max_pool2d: _torch_max_pool2d}
_PARAMS = ('kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode')


def _constant(v):
    """An int, bool, None or a tuple/list of ints: not a value computed in the graph."""
    if isinstance(v, (list, tuple)):
        return all(type(e) is int for e in v)
    return v is None or type(v) in (int, bool)


def _module_params(m):
    if (type(m) is not torch.nn.MaxPool2d or m.return_indices or m._forward_hooks
            or m._forward_pre_hooks):
        return None
    return {p: getattr(m, p) for p in _PARAMS}


def _function_params(node):
    """(input node, pooling arguments) of a max-pool function call, or None."""
    try:
        bound = inspect.signature(_FUNCTIONS[node.target]).bind(*node.args, **node.kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    args = bound.arguments
    if args.pop('return_indices', False) is not False or not isinstance(args['input'],
                                                                         torch.fx.Node):
        return None
    params = {p: args[p] for p in _PARAMS}
    if not all(_constant(v) for v in params.values()):
        return None
    if isinstance(params['stride'], (list, tuple)) and len(params['stride']) == 0:
        params['stride'] = None  # torch.max_pool2d's default: the kernel size
    return args['input'], params


def free_name(gm, base):
    """base, or base_2, base_3, ...: the first name gm has no attribute of."""
    name, i = base, 1
    while hasattr(gm, name):
        i += 1
        name = f'{base}_{i}'
    return name


def replace_pools(gm, modules):
    """Each eligible max-pool call of gm (a GraphModule) now calls a ChannelsLastPool; a module
    called several times becomes one ChannelsLastPool (its cache is per shape)."""
    done = set()
    for node in list(gm.graph.nodes):
        if node.op == 'call_module' and node.target in modules:
            if node.target not in done:
                params = _module_params(modules[node.target])
                if params is None:
                    continue
                gm.add_submodule(node.target, ChannelsLastPool(**params, source=node.target))
                done.add(node.target)
        elif node.op == 'call_function' and node.target in _FUNCTIONS:
            found = _function_params(node)
            if found is None:
                continue
            src, params = found
            target = free_name(gm, f'{node.name}_pool')
            gm.add_submodule(target, ChannelsLastPool(**params, source=node.name))
            with gm.graph.inserting_after(node):
                new = gm.graph.call_module(target, (src,))
            node.replace_all_uses_with(new)
            gm.graph.erase_node(node)
