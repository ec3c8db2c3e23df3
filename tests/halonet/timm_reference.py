"""Reference outputs of timm's halonet_h1 for the C++ parity test.

Usage: timm_reference.py OUT_DIR
Writes OUT_DIR/weights.pth (state_dict), OUT_DIR/io.pth ({input, features, logits}) and OUT_DIR/macs.txt
(multiply-accumulates of one image counted by torch.utils.flop_counter, FLOPs / 2).
"""
import sys

import timm
import torch
from torch.utils.flop_counter import FlopCounterMode


def main(out_dir):
    torch.manual_seed(0)
    model = timm.create_model('halonet_h1')
    with torch.no_grad():
        # Perturb what random init leaves trivial: zero last-BN gammas and identity BN statistics would let
        # whole branches drop out of the comparison; a tiny classifier would make any difference small.
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                c = module.num_features
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(7)
        model.head.fc.weight.normal_(0.0, 0.1)
        model.head.fc.bias.uniform_(-1.0, 1.0)
    model.eval()
    x = torch.randn(2, 3, 256, 256)
    with torch.no_grad():
        maps = model.forward_features(x)
        features = model.forward_head(maps, pre_logits=True)
        logits = model.forward_head(maps)
    torch.save(model.state_dict(), f'{out_dir}/weights.pth')
    torch.save({'input': x, 'features': features, 'logits': logits}, f'{out_dir}/io.pth')
    # Counting needs shapes only: run on the meta device, no arithmetic.
    model.to('meta')
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.empty(1, 3, 256, 256, device='meta'))
    with open(f'{out_dir}/macs.txt', 'w') as f:
        f.write(f'{counter.get_total_flops() // 2}\n')


if __name__ == '__main__':
    main(sys.argv[1])
