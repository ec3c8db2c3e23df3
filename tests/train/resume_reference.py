"""Independent reference for tests/train/resume_layouts_test.cpp: PyTorch's AdamW and timm's CosineLRScheduler,
driven as the original main.py drives them, against what focal-train wrote after one optimizer step.

  resume_reference.py layouts FIXTURES_DIR OUT_DIR
      writes other layouts of the fixture weights (timm-style 'state_dict' with 'module.', EMA entries)
  resume_reference.py continued ORIGINAL OURS STEPS_PER_EPOCH
      OURS is focal-train's last.pth one step after resuming ORIGINAL (a main.py checkpoint): its groups,
      moments, step counts, LR and epoch must continue ORIGINAL's
  resume_reference.py fresh ORIGINAL OURS STEPS_PER_EPOCH EPOCHS WARMUP_EPOCHS BASE_LR WARMUP_LR MIN_LR BATCH
      the same after --no-resume-opt: ORIGINAL's weights and epoch, a fresh AdamW, the LR schedule of the
      configuration (the config's LR keys, scaled by BATCH / 512 as main.py does)
Exits 0 when everything matches, else prints what differs and exits 1.
"""
import copy
import pickle
import sys
import types

import torch
from timm.scheduler.cosine_lr import CosineLRScheduler


class CfgNode(dict):
    """Stands in for yacs.config.CfgNode, which the checkpoints of the original script pickle."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith('yacs'):
            return CfgNode
        return super().find_class(module, name)


_tolerant_pickle = types.ModuleType('yacs_tolerant_pickle')
_tolerant_pickle.__dict__.update(pickle.__dict__)
_tolerant_pickle.Unpickler = _Unpickler


def load(path):
    return torch.load(path, map_location='cpu', weights_only=False, pickle_module=_tolerant_pickle)


GEOMETRY = ('relative_position_index', 'valid_ind_', 'attn_mask')


def parameter_names(state_dict):
    """Parameters in named_parameters() order: the state dict without the geometry buffers."""
    return [k for k in state_dict if not k.split('.')[-1].startswith(GEOMETRY)]


def weight_decay_split(names, state_dict):
    """The original set_weight_decay: no decay on 1-D tensors, biases, absolute_pos_embed, the bias tables."""
    decay, no_decay = [], []
    for n in names:
        exempt = (state_dict[n].dim() == 1 or n.endswith('.bias') or n == 'absolute_pos_embed'
                  or 'relative_position_bias_table' in n)
        (no_decay if exempt else decay).append(n)
    return decay, no_decay


failures = []


def expect(ok, what):
    if not ok:
        failures.append(what)


def ulps_apart(a, b):
    """Largest difference in units of float32 precision of the tensor's magnitude."""
    scale = max(a.abs().max().item(), b.abs().max().item(), 1e-30) * 2.0 ** -24
    return ((a.double() - b.double()).abs().max().item()) / scale


def compare_step(reference_opt, groups, ours, expected_step, label):
    """The weights, second moments and step counts of OURS against REFERENCE_OPT after the same step."""
    model = ours['model']
    state = ours['optimizer']['state']
    index = 0
    for g, names in enumerate(groups):
        ref_group = reference_opt.param_groups[g]
        our_group = ours['optimizer']['param_groups'][g]
        expect(len(our_group['params']) == len(names),
               f'{label}: group {g} has {len(our_group["params"])} tensors, the reference {len(names)}')
        expect(our_group['weight_decay'] == ref_group['weight_decay'],
               f'{label}: group {g} weight decay {our_group["weight_decay"]} != {ref_group["weight_decay"]}')
        for n, p in zip(names, ref_group['params']):
            d = ulps_apart(model[n], p.detach())
            expect(d <= 8, f'{label}: weights of {n} differ by {d:.1f} float32 ulps')
            ref_v = reference_opt.state[p]['exp_avg_sq']
            our_v = state[index]['exp_avg_sq']
            d = ulps_apart(our_v, ref_v)
            expect(d <= 64, f'{label}: exp_avg_sq of {n} differs by {d:.1f} float32 ulps')
            expect(float(state[index]['step']) == expected_step,
                   f'{label}: step of {n} is {float(state[index]["step"])}, expected {expected_step}')
            index += 1


def gradients_behind(ours, first_moments, groups, beta1):
    """The gradient of the step OURS took, from its first moments before (FIRST_MOMENTS) and after."""
    grads = {}
    index = 0
    for names in groups:
        for n in names:
            m1 = ours['optimizer']['state'][index]['exp_avg'].double()
            m0 = first_moments[index].double() if first_moments is not None else torch.zeros_like(m1)
            grads[n] = ((m1 - beta1 * m0) / (1 - beta1)).float()
            index += 1
    return grads


def reference_optimizer(weights, groups, group_options, lr):
    params = [[torch.nn.Parameter(weights[n].clone().float()) for n in names] for names in groups]
    return torch.optim.AdamW([dict(params=p, **o) for p, o in zip(params, group_options)], lr=lr)


def set_gradients(opt, groups, grads):
    for names, group in zip(groups, opt.param_groups):
        for n, p in zip(names, group['params']):
            p.grad = grads[n]


def continued(original_path, ours_path, steps_per_epoch):
    original, ours = load(original_path), load(ours_path)
    weights = original['model']
    names = parameter_names(weights)
    groups = list(weight_decay_split(names, weights))
    sizes = [len(g['params']) for g in original['optimizer']['param_groups']]
    if sizes != [len(g) for g in groups]:
        sys.exit(f'the fixture is not what set_weight_decay builds: groups {sizes}')
    opt_state = original['optimizer']
    beta1 = opt_state['param_groups'][0]['betas'][0]
    m0 = [opt_state['state'][i]['exp_avg'] for i in range(len(names))]
    grads = gradients_behind(ours, m0, groups, beta1)
    # main.py: build_optimizer, build_scheduler (which sets the warm-up LR), then load_checkpoint restores the
    # optimizer (its LR included) and the scheduler; the next step runs at the LR the optimizer saved.
    ref = reference_optimizer(weights, groups, [{'weight_decay': g['weight_decay']} for g in opt_state['param_groups']],
                              opt_state['param_groups'][0]['initial_lr'])
    sched = CosineLRScheduler(ref, t_initial=1, warmup_t=1, warmup_lr_init=1e-9, t_in_epochs=False)
    ref.load_state_dict(copy.deepcopy(opt_state))  # load_state_dict would share the tensors
    sched.load_state_dict(original['lr_scheduler'])
    set_gradients(ref, groups, grads)
    first_step = max(float(s['step']) for s in opt_state['state'].values()) + 1
    ref.step()
    compare_step(ref, groups, ours, first_step, 'continued')
    next_epoch = original['epoch'] + 1
    sched.step_update(next_epoch * steps_per_epoch + 0)  # main.py: step_update(epoch * num_steps + idx)
    for g, (r, o) in enumerate(zip(ref.param_groups, ours['optimizer']['param_groups'])):
        expect(abs(o['lr'] - r['lr']) <= 1e-12 + 1e-9 * r['lr'], f'continued: group {g} LR {o["lr"]!r} != timm {r["lr"]!r}')
    loader = ours['rng']['loader']
    expect(loader == {'epoch': next_epoch, 'next_batch': 1}, f'continued: loader position {loader}, expected epoch {next_epoch} batch 1')
    expect(ours['max_accuracy'] == original['max_accuracy'], f'continued: max_accuracy {ours["max_accuracy"]}')
    expect(ours['step'] == first_step, f'continued: step {ours["step"]}, expected {first_step}')


def fresh(original_path, ours_path, steps_per_epoch, epochs, warmup_epochs, base_lr, warmup_lr, min_lr, batch):
    original, ours = load(original_path), load(ours_path)
    weights = original['model']
    names = parameter_names(weights)
    groups = list(weight_decay_split(names, weights))
    scale = batch / 512.0  # main.py's linear scaling (one process, no accumulation)
    grads = gradients_behind(ours, None, groups, 0.9)
    ref = reference_optimizer(weights, groups, [{'weight_decay': 0.05}, {'weight_decay': 0.0}], base_lr * scale)
    sched = CosineLRScheduler(ref, t_initial=epochs * steps_per_epoch, lr_min=min_lr * scale,
                              warmup_lr_init=warmup_lr * scale, warmup_t=warmup_epochs * steps_per_epoch,
                              cycle_limit=1, t_in_epochs=False)
    next_epoch = original['epoch'] + 1
    position = next_epoch * steps_per_epoch
    sched.step_update(position - 1)  # the LR an uninterrupted run would step with
    set_gradients(ref, groups, grads)
    ref.step()
    compare_step(ref, groups, ours, 1.0, 'fresh')
    sched.step_update(position)
    for g, (r, o) in enumerate(zip(ref.param_groups, ours['optimizer']['param_groups'])):
        expect(abs(o['lr'] - r['lr']) <= 1e-12 + 1e-9 * r['lr'], f'fresh: group {g} LR {o["lr"]!r} != timm {r["lr"]!r}')
    loader = ours['rng']['loader']
    expect(loader == {'epoch': next_epoch, 'next_batch': 1}, f'fresh: loader position {loader}, expected epoch {next_epoch} batch 1')


def layouts(fixtures, out):
    weights = torch.load(f'{fixtures}/focal_micro_224.pth', map_location='cpu')['model']
    later = load(f'{fixtures}/focal_micro_224.train_ckpt.pth')['model']
    # timm's train.py checkpoint: DataParallel names, an optimizer but no lr_scheduler.
    torch.save({'epoch': 5, 'arch': 'focal_micro', 'state_dict': {'module.' + k: v for k, v in weights.items()},
                'optimizer': {'state': {}, 'param_groups': []}, 'version': 2}, f'{out}/timm_module.pth')
    torch.save({'model_ema': weights}, f'{out}/ema_only.pth')
    torch.save({'state_dict': weights, 'state_dict_ema': later}, f'{out}/with_ema.pth')


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == 'layouts':
        layouts(*args)
    elif mode == 'continued':
        continued(args[0], args[1], int(args[2]))
    elif mode == 'fresh':
        fresh(args[0], args[1], *[int(a) for a in args[2:5]], *[float(a) for a in args[5:8]], int(args[8]))
    else:
        sys.exit(f'unknown mode {mode}')
    for f in failures:
        print(f)
    print('OK' if not failures else f'{len(failures)} differences')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
