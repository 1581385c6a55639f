# python/sconv/torch/_residual.py: fuse residual adds (and the activation after them) into the SparseConv2d before them
"""After the conv chains are replaced: an add of two graph values where one is the output of
a SparseConv2d without activation, read by that add alone, becomes one SparseConvAdd call
conv(x) + r, with a ReLU/ReLU6/clamp that is the add's only user fused too. The adds taken:
operator.add / operator.iadd, torch.add and Tensor.add / add_ without alpha or out.
The sum may overwrite r only when r is the output of a sconv conv or pool module of the
graph (memory of its own, not an input, a parameter, a view or an alias), is not the conv's
input, and nothing reads it after the add; otherwise the module adds into a copy. An in-place add whose mutated operand is r (r += conv(x), r.add_(...)) is fused only
under those conditions, where no one can observe whether r itself was changed."""
import operator

import torch
import torch.fx

from ._chains import activation
from ._module import SparseConv2d, SparseConvAdd
from ._pool import ChannelsLastPool
from ._pool_nodes import free_name

_ADD_FUNCTIONS = (operator.add, operator.iadd, torch.add)
_INPLACE = (operator.iadd, 'add_')


def _operands(node):
    """(a, b, in_place) of an add node of two graph values, else None."""
    if node.kwargs or len(node.args) != 2:
        return None
    if node.op == 'call_function' and node.target in _ADD_FUNCTIONS:
        in_place = node.target is operator.iadd
    elif node.op == 'call_method' and node.target in ('add', 'add_'):
        in_place = node.target == 'add_'
    else:
        return None
    a, b = node.args
    if not isinstance(a, torch.fx.Node) or not isinstance(b, torch.fx.Node) or a is b:
        return None
    return a, b, in_place


def _plain_conv(node, modules):
    """The SparseConv2d (exactly that class, no activation) a node calls, else None."""
    if node.op != 'call_module':
        return None
    m = modules.get(node.target)
    if type(m) is not SparseConv2d or m.act is not None or len(node.args) != 1 or node.kwargs:
        return None
    return m


def _fresh(node, modules):
    """Whether node's value is memory of its own: the output of a sconv conv or pool module.
    Other nodes may return a view or an alias of another value (relu_, contiguous, to,
    getitem), whose other readers the graph does not show."""
    return node.op == 'call_module' and isinstance(modules.get(node.target),
                                                   (SparseConv2d, ChannelsLastPool))


def _may_overwrite(r, conv_node, add, order, modules):
    """Whether r's memory may take the sum: a fresh value made in the graph, not the conv's
    input, with no reader after the add."""
    if not _fresh(r, modules) or conv_node.args[0] is r:
        return False
    return all(order[u] < order[add] for u in r.users if u is not add)


def fuse_adds(gm):
    """Replace each eligible add (and its activation) in gm, a GraphModule whose convs are
    SparseConv2d calls; returns how many adds were fused."""
    modules = dict(gm.named_modules())
    order = {n: i for i, n in enumerate(gm.graph.nodes)}
    fused = 0
    for add in list(gm.graph.nodes):
        ops = _operands(add)
        if ops is None:
            continue
        a, b, in_place = ops
        for conv_node, r in ((a, b), (b, a)):
            conv = _plain_conv(conv_node, modules)
            if conv is not None and len(conv_node.users) == 1:
                break
        else:
            continue
        overwrite = _may_overwrite(r, conv_node, add, order, modules)
        if in_place and r is a and not overwrite:
            continue  # torch changes r itself, and someone may look at it
        act_node = next(iter(add.users)) if len(add.users) == 1 else None
        act = None
        if (act_node is not None and act_node.args and act_node.args[0] is add
                and add not in act_node.args[1:] and add not in act_node.kwargs.values()):
            act = activation(act_node, modules)
        if act is None:
            act_node = None
        target = free_name(gm, f'{conv_node.target.replace(".", "_")}_add')
        modules[target] = SparseConvAdd(
            conv.layer, act=act, pad=conv.pad, threads=conv.threads, engine=conv.engine,
            source=conv.source, bn=conv.bn, inplace=overwrite)
        gm.add_submodule(target, modules[target])
        with gm.graph.inserting_before(add):
            new = gm.graph.call_module(target, (conv_node.args[0], r))
        order[new] = order[add]
        last = act_node or add
        last.replace_all_uses_with(new)
        for node in (act_node, add, conv_node):
            if node is not None:
                gm.graph.erase_node(node)
        fused += 1
    return fused
