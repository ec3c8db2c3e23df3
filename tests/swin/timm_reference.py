"""Reference tensors of timm's Swin Transformer for the C++ parity test (tests/swin/swin_parity_test.cpp).

Usage: timm_reference.py OUT_DIR [NAME...]   (default: every variant)
For each variant NAME (tiny: timm's swin_tiny_patch4_window7_224; w12_384: window 12 at 384, micro width,
depths 2-2-4-2) writes
  OUT_DIR/NAME.timm.pth     timm's state_dict (timm layout: downsample opening stages 1.., head.fc.*)
  OUT_DIR/NAME.release.pth  {'model': the same weights in the Swin release layout}, its geometry buffers
                            (relative_position_index, attn_mask) computed here as the Swin code base does
  OUT_DIR/NAME.io.pth       input, stage_map0..3 (timm's stage outputs, B H W C), stage0..3 (the release's
                            stage outputs: after the blocks and the merging that closes the stage, B L C),
                            logits (eval), target, loss and grad.<timm name> of every parameter (train mode,
                            drop path 0): the layout focal-verify reads
  OUT_DIR/NAME.params.txt   timm's parameter count
  OUT_DIR/NAME.yaml         its YAML configuration, for a variant no file in configs/ describes (w12_384)
Weights are timm's random init, perturbed so that no table or norm is trivial.
"""
import sys

import timm
import torch
import torch.nn.functional as F
from timm.models.swin_transformer import SwinTransformer

# The YAML configuration of each variant no file in configs/ describes (focal-verify reads it).
CONFIGS = {
    'w12_384': ('DATA:\n  IMG_SIZE: 384\nMODEL:\n  TYPE: swin\n  NAME: w12\n  NUM_CLASSES: 10\n  SWIN:\n'
                '    EMBED_DIM: 16\n    DEPTHS: [2, 2, 4, 2]\n    NUM_HEADS: [1, 2, 4, 8]\n    WINDOW_SIZE: 12\n'),
}

VARIANTS = {
    'tiny': lambda: timm.create_model('swin_tiny_patch4_window7_224', drop_path_rate=0.0),
    'w12_384': lambda: SwinTransformer(img_size=384, window_size=12, embed_dim=16, depths=(2, 2, 4, 2),
                                       num_heads=(1, 2, 4, 8), num_classes=10, drop_path_rate=0.0),
}


def release_index(ws):
    # The Swin code base's relative_position_index, written out independently of timm's helper.
    idx = torch.empty(ws * ws, ws * ws, dtype=torch.long)
    for qi in range(ws * ws):
        for ki in range(ws * ws):
            dy = qi // ws - ki // ws + ws - 1
            dx = qi % ws - ki % ws + ws - 1
            idx[qi, ki] = dy * (2 * ws - 1) + dx
    return idx


def release_mask(h, w, ws, shift):
    img = torch.zeros(1, h, w, 1)
    cnt = 0
    for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
        for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
            img[:, hs, wsl, :] = cnt
            cnt += 1
    win = img.view(1, h // ws, ws, w // ws, ws, 1).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws)
    mask = win.unsqueeze(1) - win.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


def to_release(model):
    out = {}
    for name, value in model.state_dict().items():
        parts = name.split('.')
        if len(parts) > 2 and parts[0] == 'layers' and parts[2] == 'downsample':
            parts[1] = str(int(parts[1]) - 1)  # closes the previous stage in the release layout
            name = '.'.join(parts)
        if name.startswith('head.fc.'):
            name = 'head.' + name[len('head.fc.'):]
        out[name] = value.clone()
    for i, stage in enumerate(model.layers):
        for j, block in enumerate(stage.blocks):
            ws = block.window_size[0]
            out[f'layers.{i}.blocks.{j}.attn.relative_position_index'] = release_index(ws)
            if block.shift_size[0] > 0:
                h, w = block.input_resolution
                out[f'layers.{i}.blocks.{j}.attn_mask'] = release_mask(h, w, ws, block.shift_size[0])
    return out


def main(out_dir, names):
    for name, make in VARIANTS.items():
        if names and name not in names:
            continue
        torch.manual_seed(0)
        model = make()
        with torch.no_grad():
            for pname, p in model.named_parameters():
                scale = 0.5 if 'relative_position_bias_table' in pname else 0.05
                p.add_(torch.randn_like(p) * scale)
        size = model.patch_embed.img_size[0]
        x = torch.randn(2, 3, size, size)
        model.eval()
        ref = {'input': x}
        with torch.no_grad():
            h = model.patch_embed(x)
            for i, stage in enumerate(model.layers):
                h = stage(h)
                ref[f'stage_map{i}'] = h.clone()
            for i in range(len(model.layers)):
                m = ref[f'stage_map{i}']
                if i + 1 < len(model.layers):
                    m = model.layers[i + 1].downsample(m)
                ref[f'stage{i}'] = m.reshape(m.shape[0], -1, m.shape[-1]).clone()
            logits = model.forward_head(model.norm(h))
            assert torch.allclose(logits, model(x), atol=1e-5)
        ref['logits'] = logits
        model.train()
        target = torch.randint(0, logits.shape[1], (2,))
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        ref['target'] = target
        ref['loss'] = loss.detach()
        for pname, p in model.named_parameters():
            ref['grad.' + pname] = p.grad.clone()
        model.zero_grad()
        torch.save(model.state_dict(), f'{out_dir}/{name}.timm.pth')
        torch.save({'model': to_release(model)}, f'{out_dir}/{name}.release.pth')
        torch.save(ref, f'{out_dir}/{name}.io.pth')
        with open(f'{out_dir}/{name}.params.txt', 'w') as f:
            f.write(f'{sum(p.numel() for p in model.parameters())}\n')
        if name in CONFIGS:
            with open(f'{out_dir}/{name}.yaml', 'w') as f:
                f.write(CONFIGS[name])


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])
