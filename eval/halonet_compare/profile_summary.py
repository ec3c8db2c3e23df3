"""Self time per operator of a chrome trace written by `halonet-compare --profile` (legacy autograd profiler).

Usage: profile_summary.py TRACE.json [--top 20]
"""
import argparse
import collections
import json


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('trace')
    parser.add_argument('--top', type=int, default=20)
    args = parser.parse_args()
    with open(args.trace) as f:
        events = [e for e in json.load(f) if e.get('ph') == 'X']
    # Self time: an event's duration minus that of the events nested directly inside it (same thread).
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[e.get('tid')].append(e)
    self_time = collections.Counter()
    calls = collections.Counter()
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e['ts'], -e['dur']))
        stack = []
        for e in evs:
            while stack and stack[-1]['ts'] + stack[-1]['dur'] <= e['ts']:
                stack.pop()
            if stack:
                self_time[stack[-1]['name']] -= e['dur']
            self_time[e['name']] += e['dur']
            calls[e['name']] += 1
            stack.append(e)
    total = sum(self_time.values())
    print(f'total self time {total / 1e6:.3f} s')
    for name, t in self_time.most_common(args.top):
        print(f'{t / 1e6:9.3f} s {100 * t / total:5.1f}%  {calls[name]:6d}  {name}')


if __name__ == '__main__':
    main()
