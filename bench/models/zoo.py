"""bench/models/zoo.py: the models: seeded torchvision nets, global pruning, conv kinds.

Debian's interpreter only (torch, torchvision). Random weights from a fixed seed (no
download); BatchNorm in eval mode with non-trivial running statistics; the classifier bias
zeroed, so the logits come from the convolutions alone and the error check measures them.
"""
import torch
import torch.nn.utils.prune as tprune
import torchvision

# The first conv stays dense, as the usual pruning recipes keep it; the classifier is an
# nn.Linear and is never pruned.
MODELS = {"resnet50": "conv1", "mobilenet_v2": "features.0.0"}
SEED = 1234
INPUT_SEED = 7
# A 1x1 conv whose smaller side has at most this many channels reuses each loaded input
# value over few outputs: the "thin pointwise" kind of the per-layer split.
THIN_CHANNELS = 64


def build(name, seed=SEED):
    """The model `name` of MODELS in eval mode, weights and BN statistics from `seed`."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: expected one of {', '.join(MODELS)}")
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=None).eval()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
            elif isinstance(m, torch.nn.Linear):
                m.bias.zero_()
    return model


def convs(model):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]


def pruned_convs(name, model):
    return [(n, m) for n, m in convs(model) if n != MODELS[name]]


def prune(name, model, sparsity):
    """Global magnitude pruning of every conv but the first, in place, with
    torch.nn.utils.prune's reparametrization (weight_orig, weight_mask) even at 0."""
    with torch.no_grad():  # the masked weight stays a leaf tensor, so the model deep-copies
        tprune.global_unstructured([(m, "weight") for _, m in pruned_convs(name, model)],
                                   pruning_method=tprune.L1Unstructured, amount=float(sparsity))
    return model


def masks(name, model):
    """name -> weight_mask of each pruned conv (after prune)."""
    return {n: m.weight_mask.detach().clone() for n, m in pruned_convs(name, model)}


def apply_masks(name, model, mask_of):
    """Reparametrize `model`'s convs with the given masks (exactly those positions)."""
    with torch.no_grad():
        for n, m in pruned_convs(name, model):
            tprune.custom_from_mask(m, "weight", mask_of[n])
    return model


def bake(name, model):
    """The masks multiplied into the weights and the reparametrization removed: the plain
    model a user deploys after pruning."""
    for _, m in pruned_convs(name, model):
        if tprune.is_pruned(m):
            tprune.remove(m, "weight")
    return model


def zero_fraction(name, model):
    """Fraction of zero weights over the pruned convs (after bake or with masks)."""
    total = zeros = 0
    for _, m in pruned_convs(name, model):
        w = m.weight.detach()
        total += w.numel()
        zeros += int((w == 0).sum())
    return zeros / total if total else 0.0


def input_tensor(image):
    g = torch.Generator().manual_seed(INPUT_SEED)
    return torch.randn(1, 3, image, image, generator=g)


def kind(name, conv_name, conv):
    """The per-layer split's category of one conv."""
    cin, cout = conv.in_channels, conv.out_channels
    kh, kw = conv.kernel_size
    if conv_name == MODELS[name]:
        return "first"
    if conv.groups > 1 and conv.groups == cin and cin == cout:
        return "depthwise"
    if (kh, kw) == (1, 1) and conv.groups == 1:
        return "pointwise_thin" if min(cin, cout) <= THIN_CHANNELS else "pointwise_wide"
    return "other"
