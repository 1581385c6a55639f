# python/sconv/torch/_chains.py: conv -> BatchNorm2d -> ReLU/ReLU6 chains in a torch.fx graph
"""A chain starts at every call of a plain nn.Conv2d. A BatchNorm2d joins it only when it
takes the conv's output as its one input and is that output's only user; an activation
joins the same way after the conv or the BatchNorm. A value used anywhere else (a residual
add, a second branch) ends the chain, so nothing another node reads is ever fused away."""
import inspect

import torch
import torch.nn.functional as F
from torch.nn.utils.prune import BasePruningMethod


def _plain(module, cls):
    """An instance of cls whose forward is cls's own and whose hooks are at most
    torch.nn.utils.prune's (any other hook would be lost by replacing it)."""
    if not isinstance(module, cls) or type(module).forward is not cls.forward:
        return False
    pre = module._forward_pre_hooks.values()
    return (all(isinstance(h, BasePruningMethod) for h in pre)
            and not module._forward_hooks)


def is_conv(module):
    return _plain(module, torch.nn.Conv2d)


def _foldable_bn(module):
    """An eval-mode BatchNorm2d that normalizes with its running statistics."""
    return (_plain(module, torch.nn.BatchNorm2d) and not module.training
            and module.running_mean is not None and module.running_var is not None)


def _bind(fn, args, kwargs):
    try:
        return inspect.signature(fn).bind(*args, **kwargs).arguments
    except TypeError:
        return None


def _relu(input, inplace=False):
    pass


def _hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    pass


def _torch_relu(input):
    pass


_FUNCTIONS = {F.relu: _relu, F.relu6: _relu, F.hardtanh: _hardtanh, torch.relu: _torch_relu,
              torch.relu_: _torch_relu}
_RELU6_FUNCTIONS = (F.relu6,)


def _clamp(lo, hi):
    return 'relu6' if (lo, hi) == (0.0, 6.0) else ('clamp', float(lo), float(hi))


def activation(node, modules):
    """The sconv act of an activation node ('relu', 'relu6', ('clamp', lo, hi)), else None."""
    if node.op == 'call_module':
        m = modules[node.target]
        if len(node.args) != 1 or node.kwargs or m._forward_hooks or m._forward_pre_hooks:
            return None
        if type(m) is torch.nn.ReLU:
            return 'relu'
        if type(m) in (torch.nn.ReLU6, torch.nn.Hardtanh):
            return _clamp(m.min_val, m.max_val)
        return None
    if node.op == 'call_method' and node.target in ('relu', 'relu_'):
        return 'relu' if len(node.args) == 1 and not node.kwargs else None
    if node.op == 'call_function' and node.target in _FUNCTIONS:
        bound = _bind(_FUNCTIONS[node.target], node.args, node.kwargs)
        if bound is None:
            return None
        if node.target in _RELU6_FUNCTIONS:
            return 'relu6'
        if node.target is F.hardtanh:
            return _clamp(bound.get('min_val', -1.0), bound.get('max_val', 1.0))
        return 'relu'
    return None


def _sole_user(node):
    """The node reading `node`, when exactly one node reads it, once, as its first argument."""
    if len(node.users) != 1:
        return None
    user = next(iter(node.users))
    if not user.args or user.args[0] is not node:
        return None
    if node in user.args[1:] or node in user.kwargs.values():
        return None
    return user


class Chain:
    """conv node, the BatchNorm node folded into it (or None), the activation node fused
    (or None) and its sconv act."""
    __slots__ = ('conv', 'bn', 'act_node', 'act')

    def __init__(self, conv, bn, act_node, act):
        self.conv, self.bn, self.act_node, self.act = conv, bn, act_node, act


def find_chains(graph, modules):
    """Every call of a plain nn.Conv2d in graph order, with what may be fused after it."""
    chains = []
    for node in graph.nodes:
        if node.op != 'call_module' or not is_conv(modules[node.target]):
            continue
        if len(node.args) != 1 or node.kwargs:
            continue
        conv = modules[node.target]
        last, bn = node, None
        user = _sole_user(last)
        if (user is not None and user.op == 'call_module' and len(user.args) == 1
                and not user.kwargs and _foldable_bn(modules[user.target])
                and modules[user.target].num_features == conv.out_channels):
            bn = last = user
        user = _sole_user(last)
        act = None if user is None else activation(user, modules)
        chains.append(Chain(node, bn, user if act is not None else None, act))
    return chains
