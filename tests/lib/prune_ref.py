#!/usr/bin/env python3
"""prune_ref.py - an independent reference for bs-expire's retention policy.

Reads `bs-ls --json` lines on stdin and prints, for each backup, its id and
"keep", "listing" or "remove", following borg prune's documented rules in
UTC: each --keep-RULE N keeps the newest finished backup of each of the N
newest periods that have one, newest first, rules applied in the order
last, hourly, daily, weekly, monthly, yearly, a period whose newest backup
an earlier rule keeps being passed over without counting; per host and
subset.  --max-age keeps everything started within it.  An unfinished
backup counts for no rule, and keeps its data (when a rule is set) while
no finished backup of its series started after it.  A backup not kept
keeps its listing while it started within --metadata-max-age.

usage: prune_ref.py NOW [--keep-daily N ...] [--max-age SEC] [--metadata-max-age SEC]
"""
import datetime
import json
import sys

FORMATS = {
    'hourly': '%Y-%m-%d %H', 'daily': '%Y-%m-%d', 'weekly': '%G-%V',
    'monthly': '%Y-%m', 'yearly': '%Y',
}
ORDER = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly']


def epoch(iso):
    return datetime.datetime.strptime(iso[:19], '%Y-%m-%dT%H:%M:%S').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def main():
    now = float(sys.argv[1])
    args = sys.argv[2:]
    keep, max_age, mage = {}, None, None
    while args:
        opt, val = args[0], int(args[1])
        args = args[2:]
        if opt == '--max-age':
            max_age = val
        elif opt == '--metadata-max-age':
            mage = val
        else:
            keep[opt[len('--keep-'):]] = val
    backups = [json.loads(line) for line in sys.stdin if line.strip()]
    for b in backups:
        b['t'] = epoch(b['start'])
    verdict = {}
    series = {}
    for b in backups:
        series.setdefault((b['host'], b['subset']), []).append(b)
    for members in series.values():
        members.sort(key=lambda b: b['t'])
        kept = set()
        eligible = [b for b in members if b['finished'] and not b['data_expired']]
        for rule in ORDER:
            n = keep.get(rule, 0)
            if not n:
                continue
            last, count = None, 0
            for b in reversed(eligible):
                if rule == 'last':
                    period = b['id']
                else:
                    period = datetime.datetime.fromtimestamp(
                        b['t'], datetime.timezone.utc).strftime(FORMATS[rule])
                if period == last:
                    continue
                last = period
                if b['id'] in kept:
                    continue
                kept.add(b['id'])
                count += 1
                if count == n:
                    break
        for b in members:
            if b['id'] in kept:
                verdict[b['id']] = 'keep'
            elif not b['data_expired'] and max_age is not None and b['t'] >= now - max_age:
                verdict[b['id']] = 'keep'
            elif (not b['data_expired'] and not b['finished'] and keep and
                  not any(o['finished'] and o['t'] > b['t'] for o in members)):
                verdict[b['id']] = 'keep'
            else:
                m = mage if mage is not None else max_age
                if m is not None and max_age is not None:
                    m = max(m, max_age)
                if m is not None and b['t'] >= now - m:
                    verdict[b['id']] = 'listing'
                else:
                    verdict[b['id']] = 'remove'
    for b in backups:
        print(b['id'], verdict[b['id']])


main()
