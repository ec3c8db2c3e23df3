"""Runs our halonet-compare and timm_speed.py alternately (so that background load hits both alike) and
prints the median images/s of each side per mode.

Usage: compare.py BINARY [--rounds 3] [other arguments passed to both, e.g. --batch 8 --iters 3]
"""
import re
import statistics
import subprocess
import sys
from pathlib import Path


def run(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r'^\w+ \S+ (\w+) .* images/s ([\d.]+)$', out, re.M)}


def main():
    binary, rest = sys.argv[1], sys.argv[2:]
    rounds = 3
    if '--rounds' in rest:
        i = rest.index('--rounds')
        rounds = int(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    script = Path(__file__).with_name('timm_speed.py')
    results = {'ours': {}, 'timm': {}}
    for r in range(rounds):
        for side, command in (('ours', [binary] + rest), ('timm', [sys.executable, str(script)] + rest)):
            for mode, ips in run(command).items():
                results[side].setdefault(mode, []).append(ips)
                print(f'round {r} {side} {mode} {ips:.3f} images/s', flush=True)
    for mode in results['ours']:
        ours, timm = statistics.median(results['ours'][mode]), statistics.median(results['timm'][mode])
        print(f'{mode}: ours {ours:.3f} images/s, timm {timm:.3f} images/s, ratio {ours / timm:.2f}x')


if __name__ == '__main__':
    main()
