# tests/interop/convert/export_resnet.py: a pruned torchvision ResNet-50 exported to ONNX
"""export_resnet.py OUT.onnx: random weights from a fixed seed, BN statistics made
non-trivial, every conv but the first pruned to 90% by torch.nn.utils.prune (global L1),
eval mode; torch.onnx.export folds each BN into its conv."""
import sys

import torch
import torch.nn.utils.prune as tprune
import torchvision

torch.manual_seed(27)
model = torchvision.models.resnet50(weights=None).eval()
for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.running_mean.uniform_(-0.2, 0.2)
        m.running_var.uniform_(0.5, 1.5)
        m.weight.data.uniform_(0.5, 1.5)
        m.bias.data.uniform_(-0.2, 0.2)
convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
tprune.global_unstructured([(m, 'weight') for m in convs[1:]], tprune.L1Unstructured,
                           amount=0.9)
for m in convs[1:]:
    tprune.remove(m, 'weight')
x = torch.randn(1, 3, 224, 224)
with torch.no_grad():
    torch.onnx.export(model, x, sys.argv[1], opset_version=13, input_names=['input'],
                      output_names=['logits'], do_constant_folding=True)
print(f'export_resnet: {len(convs)} convs, written {sys.argv[1]}')
