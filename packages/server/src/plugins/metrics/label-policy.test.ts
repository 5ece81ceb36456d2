import { describe, expect, it } from 'vitest';
import { BoundedLabels, LabelPolicy, OTHER_LABEL } from './label-policy.js';

describe('LabelPolicy', () => {
  it('labels by first segment, the first N distinct ones, and keeps an admitted label forever', () => {
    const p = new LabelPolicy({ maxTopicLabels: 2 });
    expect(p.topic('orders/1')).toBe('orders');
    expect(p.topic('chat')).toBe('chat');
    expect(p.topic('jobs/9')).toBe(OTHER_LABEL);
    expect(p.topic('orders/2/x')).toBe('orders');
  });

  it('matches configured prefixes on segment boundaries, longest first', () => {
    const p = new LabelPolicy({ topicPrefixes: ['tenant', 'tenant/acme'] });
    expect(p.topic('tenant/acme')).toBe('tenant/acme');
    expect(p.topic('tenant/acme/leases')).toBe('tenant/acme');
    expect(p.topic('tenant/acmecorp/leases')).toBe('tenant');
    expect(p.topic('tenantx/1')).toBe(OTHER_LABEL);
  });

  it('refuses prefixes that are not topics, and bounds that are not positive integers', () => {
    expect(() => new LabelPolicy({ topicPrefixes: ['a/*'] })).toThrow(/not a valid topic/);
    expect(() => new LabelPolicy({ maxTypeLabels: 0 })).toThrow(/maxTypeLabels must be a positive integer/);
  });

  it('bounds types independently', () => {
    const b = new BoundedLabels(3);
    const labels = Array.from({ length: 10_000 }, (_, i) => b.label(`t${i}`));
    expect(new Set(labels)).toEqual(new Set(['t0', 't1', 't2', OTHER_LABEL]));
    expect(b.size).toBe(3);
  });
});
