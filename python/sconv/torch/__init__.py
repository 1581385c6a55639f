# python/sconv/torch/__init__.py: sparsify(model): a PyTorch model whose convs run on sconv
"""sconv.torch.sparsify(model, sparsity=None, ...) copies a model, finds its
conv -> BatchNorm2d -> ReLU/ReLU6 chains with torch.fx, prunes the convs (or keeps the
zeros and torch.nn.utils.prune masks they have), folds BatchNorm into them and replaces each
chain by a SparseConv2d running on sconv, each nn.Linear by a SparseLinear (a 1x1 conv on
sconv), and each 2-D max-pool by a ChannelsLastPool (torch's pool by whichever route
measured faster). A residual add after such a conv (and the ReLU after the add) runs in the
conv too (SparseConvAdd). Everything else stays in PyTorch (docs/python.md)."""
import copy

import numpy as np
import torch
import torch.fx

from .._arrays import InvalidTypeError
from .._errors import EINVAL, EUNSUPPORTED, UnsupportedError, invalid
from .._layer import Layer
from .._prune import mask, mask_global
from ._chains import find_chains
from ._linear import SparseLinear
from ._linear_nodes import find_linears, replace_linears
from ._module import SparseConv2d, SparseConvAdd
from ._pool import ChannelsLastPool
from ._pool_nodes import replace_pools
from ._residual import fuse_adds
from ._weights import effective, effective_4d, fold

__all__ = ['sparsify', 'SparseConv2d', 'SparseConvAdd', 'SparseLinear', 'ChannelsLastPool']


class _Tracer(torch.fx.Tracer):
    """torch.fx's tracer, with SparseConv2d, SparseLinear (their forward calls C) and
    ChannelsLastPool (it branches on its input) kept whole."""

    def is_leaf_module(self, m, qualname):
        return (isinstance(m, (SparseConv2d, SparseLinear, ChannelsLastPool))
                or super().is_leaf_module(m, qualname))


def _copy(model):
    """copy.deepcopy of model; torch.nn.utils.prune leaves each pruned weight as a computed
    (non-leaf) tensor that deepcopy refuses, so those go in detached (the copied hook
    recomputes them on every forward anyway)."""
    memo = {}
    for m in model.modules():
        for v in vars(m).values():
            if isinstance(v, torch.Tensor) and not v.is_leaf:
                memo[id(v)] = v.detach().clone()
    return copy.deepcopy(model, memo)


def _trace(model):
    """A deep copy of model, in eval mode, as a GraphModule."""
    if not isinstance(model, torch.nn.Module):
        raise InvalidTypeError(EINVAL, f'model: {type(model).__name__}: expected a '
                               'torch.nn.Module')
    model = _copy(model).eval()
    if isinstance(model, torch.fx.GraphModule):
        return model
    try:
        graph = _Tracer().trace(model)
    except Exception as e:
        raise UnsupportedError(EUNSUPPORTED, f'sparsify: torch.fx cannot trace '
                               f'{type(model).__name__} ({type(e).__name__}: {e}); trace it '
                               'yourself (torch.fx.symbolic_trace with concrete_args) and '
                               'pass the GraphModule') from e
    return torch.fx.GraphModule(model, graph, type(model).__name__)


def _check_conv(name, conv, kind='conv'):
    w = conv.weight
    if isinstance(w, torch.nn.parameter.UninitializedParameter):
        raise invalid(f"sparsify: {kind} '{name}' is a lazy module not run yet: run the model "
                      'once before sparsify')
    if w.device.type != 'cpu':
        raise UnsupportedError(EUNSUPPORTED, f"sparsify: {kind} '{name}' is on {w.device}: "
                               'sconv runs on CPU; move the model with .cpu()')
    if w.dtype != torch.float32:
        raise UnsupportedError(EUNSUPPORTED, f"sparsify: {kind} '{name}' has dtype {w.dtype}: "
                               'sconv computes in float32; convert the model with .float()')


def _skipped(skip, convs):
    """Names of the convs excluded from pruning: skip is None, names, or a predicate
    skip(name, module) -> bool."""
    if skip is None:
        return set()
    if callable(skip):
        return {name for name, conv in convs.items() if skip(name, conv)}
    names = [skip] if isinstance(skip, str) else list(skip)
    for name in names:
        if name not in convs:
            known = ', '.join(list(convs)[:8])
            raise invalid(f"skip: '{name}' names no nn.Conv2d or nn.Linear that sparsify "
                          f'converts (these include: {known})')
    return set(names)


def _keep_masks(convs, skipped, sparsity, method, convention, order):
    """name -> bool keep-mask of the weights before folding: the weights' own nonzeros and
    prune masks, and with a sparsity also the chosen magnitude pruning. Linear weights
    (out, in) are seen as (out, in, 1, 1)."""
    eff = {name: effective_4d(conv) for name, conv in convs.items()}
    keep = {name: (w != 0) if m is None else m & (w != 0) for name, (w, m) in eff.items()}
    if sparsity is None:
        return eff, keep
    names = [n for n in convs if n not in skipped]
    ws = [eff[n][0].astype(np.float32) for n in names]
    if method == 'global':
        masks = mask_global(ws, sparsity, convention=convention)
    else:
        masks = [mask(w, sparsity=sparsity, method=method, convention=convention, order=order,
                      groups=getattr(convs[n], 'groups', 1)) for n, w in zip(names, ws)]
    for n, m in zip(names, masks):
        keep[n] = keep[n] & m
    return eff, keep


def _geometry(conv):
    """(sconv padding (top, left, bottom, right), F.pad spec or None) of an nn.Conv2d:
    string padding ('same', 'valid') as torch resolves it, and for a padding_mode other
    than zeros the padding done by F.pad in that mode before an unpadded conv."""
    left, right, top, bottom = conv._reversed_padding_repeated_twice
    if conv.padding_mode == 'zeros':
        return (top, left, bottom, right), None
    return 0, (conv.padding_mode, (left, right, top, bottom))


def sparsify(model, sparsity=None, method='global', *, skip=None, convention='torch',
             engine='auto', threads=0, order='chw', pool='auto', linear=True,
             prune_linear=False, fuse_add=True):
    """A copy of model for inference in which every nn.Conv2d runs on sconv, with a
    directly following BatchNorm2d folded in and a following ReLU/ReLU6 fused.

    sparsity None keeps the zeros the convs have (torch.nn.utils.prune masks exactly); a
    fraction prunes by magnitude: method 'global' ranks all convs together (as
    torch.nn.utils.prune.global_unstructured), any other sconv.mask method ('l1', 'nm:2:4',
    'block:4x1', ...) each conv alone. skip: conv names or a predicate (name, module) ->
    bool for convs left unpruned (they still run on sconv). engine, threads: passed to every
    sconv.Conv2d; order: the packed reduction order ('chw' or 'hwc'). pool 'auto' runs each
    2-D max-pool as a ChannelsLastPool, 'torch' leaves the pools as they are. linear True
    runs each nn.Linear as a SparseLinear (a following ReLU/ReLU6 fused), keeping its zeros
    and prune masks; prune_linear True also prunes them with the sparsity (ranked with the
    convs under 'global'), False leaves their weights as they are. fuse_add True runs each
    residual add that follows a conv without activation (and a ReLU/ReLU6 after the add) in
    that conv, as a SparseConvAdd; False leaves the adds to torch."""
    if pool not in ('auto', 'torch'):
        raise invalid(f"pool: {pool!r}: expected 'auto' or 'torch'")
    for opt, v in (('linear', linear), ('prune_linear', prune_linear), ('fuse_add', fuse_add)):
        if not isinstance(v, bool):
            raise invalid(f'{opt}: {v!r}: expected True or False')
    gm = _trace(model)
    modules = dict(gm.named_modules())
    chains = find_chains(gm.graph, modules)
    convs = {}
    for ch in chains:
        convs.setdefault(ch.conv.target, modules[ch.conv.target])
    for name, conv in convs.items():
        _check_conv(name, conv)
    linears = find_linears(gm.graph, modules) if linear else []
    lins = {c.node.target: modules[c.node.target] for c in linears}
    for name, lin in lins.items():
        _check_conv(name, lin, 'linear')
    skipped = _skipped(skip, {**convs, **lins})
    unpruned = skipped if prune_linear else skipped | set(lins)
    eff, keep = _keep_masks({**convs, **lins}, unpruned, sparsity, method, convention, order)

    calls = {}
    for ch in chains:
        calls[ch.conv.target] = calls.get(ch.conv.target, 0) + 1
    seen = {}
    for ch in chains:
        name = ch.conv.target
        conv = modules[name]
        bn = None if ch.bn is None else modules[ch.bn.target]
        bias, _ = effective(conv, 'bias')
        w, b = fold(np.where(keep[name], eff[name][0], 0.0), bias, bn)
        padding, pad = _geometry(conv)
        seen[name] = seen.get(name, 0) + 1
        # A conv called more than once gets one module per call (each folds its own BN).
        target = name if calls[name] == 1 else f"{name.replace('.', '_')}_call{seen[name]}"
        layer = Layer(w.astype(np.float32), keep[name], stride=conv.stride, padding=padding,
                      dilation=conv.dilation, groups=conv.groups,
                      bias=None if b is None else b.astype(np.float32), name=target,
                      order=order, method=method if sparsity is not None else None)
        gm.add_submodule(target, SparseConv2d(
            layer, act=ch.act, pad=pad, threads=threads, engine=engine, source=name,
            bn=None if ch.bn is None else ch.bn.target))
        ch.conv.target = target
        last = ch.act_node or ch.bn
        if last is not None:
            last.replace_all_uses_with(ch.conv)
            for node in (ch.act_node, ch.bn):
                if node is not None:
                    gm.graph.erase_node(node)
    pruned = set() if sparsity is None else set(lins) - unpruned
    replace_linears(gm, linears, modules, keep, pruned, method, order, threads, engine)
    if pool == 'auto':
        replace_pools(gm, dict(gm.named_modules()))
    if fuse_add:
        fuse_adds(gm)
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    gm.recompile()
    return gm
