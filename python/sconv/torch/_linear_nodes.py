# python/sconv/torch/_linear_nodes.py: find the nn.Linear calls and put SparseLinear in place
"""A call of a plain nn.Linear (torch's own forward, at most torch.nn.utils.prune's hooks)
whose parameters the graph reads nowhere else becomes a SparseLinear; an activation that is
the only user of its output is fused, as after a conv."""
import numpy as np
import torch

from .._layer import Layer
from ._chains import _plain, _sole_user, activation
from ._linear import SparseLinear
from ._weights import effective, effective_4d


class LinearCall:
    """The nn.Linear call node, the activation node fused (or None) and its sconv act."""
    __slots__ = ('node', 'act_node', 'act')

    def __init__(self, node, act_node, act):
        self.node, self.act_node, self.act = node, act_node, act


def find_linears(graph, modules):
    """Every call of a plain nn.Linear in graph order, with the activation fused after it."""
    read = {n.target.rsplit('.', 1)[0] for n in graph.nodes if n.op == 'get_attr'}
    found = []
    for node in graph.nodes:
        if node.op != 'call_module' or not _plain(modules[node.target], torch.nn.Linear):
            continue
        if len(node.args) != 1 or node.kwargs or node.target in read:
            continue
        user = _sole_user(node)
        act = None if user is None else activation(user, modules)
        found.append(LinearCall(node, user if act is not None else None, act))
    return found


def replace_linears(gm, calls, modules, keep, pruned, method, order, threads, engine):
    """Each call in calls (find_linears) now calls a SparseLinear with the weights kept by
    keep[name] (bool, (out, in, 1, 1)); pruned: the names pruned by `method` (recorded in
    the layer). A Linear called more than once gets one module per call."""
    count = {}
    for c in calls:
        count[c.node.target] = count.get(c.node.target, 0) + 1
    seen = {}
    for c in calls:
        name = c.node.target
        lin = modules[name]
        w = np.where(keep[name], effective_4d(lin)[0], 0.0)
        bias, _ = effective(lin, 'bias')
        seen[name] = seen.get(name, 0) + 1
        target = name if count[name] == 1 else f"{name.replace('.', '_')}_call{seen[name]}"
        layer = Layer(w.astype(np.float32), keep[name], order=order, name=target,
                      bias=None if bias is None else bias.astype(np.float32),
                      method=method if name in pruned else None)
        gm.add_submodule(target, SparseLinear(layer, act=c.act, threads=threads,
                                              engine=engine, source=name))
        c.node.target = target
        if c.act_node is not None:
            c.act_node.replace_all_uses_with(c.node)
            gm.graph.erase_node(c.act_node)
