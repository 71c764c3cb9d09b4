import { describe, expect, it } from 'vitest';
import { DEFAULT_MANAGER_CONFIG, ValidationError } from '@governance/core';
import { resolveManagerConfig } from '../src/manager/config';

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors.map((e) => e.path);
  }
  throw new Error('expected a ValidationError');
}

describe('manager config: tokens, signing, target policy, thresholds', () => {
  it('defaults keep today\'s behaviour: no tokens, no signing, thresholds 1, no deregistration, link-local denied', () => {
    const c = resolveManagerConfig({});
    expect(c.tokens).toEqual([]);
    expect(c.notificationSecret).toBeUndefined();
    expect(c.failureThreshold).toBe(1);
    expect(c.successThreshold).toBe(1);
    expect(c.deregisterAfter).toBe(0);
    expect(c.targetPolicy.schemes).toEqual(['http', 'https', 'tcp']);
    expect(c.targetPolicy.deny).toEqual(['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128']);
    expect(DEFAULT_MANAGER_CONFIG.targetPolicy.allow).toEqual([]);
  });

  it('fills token read=false and merges a partial target policy over the defaults', () => {
    const c = resolveManagerConfig({
      tokens: [{ token: 'x'.repeat(16), services: ['eir'] }],
      targetPolicy: { allow: ['127.0.0.0/8', '::1/128'] },
    });
    expect(c.tokens[0]).toEqual({ token: 'x'.repeat(16), services: ['eir'], read: false });
    expect(c.targetPolicy.allow).toEqual(['127.0.0.0/8', '::1/128']);
    expect(c.targetPolicy.deny).toEqual(DEFAULT_MANAGER_CONFIG.targetPolicy.deny);
  });

  it('names every bad field', () => {
    expect(
      fieldsOf(() =>
        resolveManagerConfig({
          tokens: [{ token: 'short', services: [] }],
          notificationSecret: 'tiny',
          targetPolicy: { deny: ['169.254.0.0/99', 'not-a-cidr'], schemes: ['ftp' as 'http'] },
          failureThreshold: 0,
          deregisterAfter: -1,
        }),
      ).sort(),
    ).toEqual(
      [
        'deregisterAfter',
        'failureThreshold',
        'notificationSecret',
        'targetPolicy.deny[0]',
        'targetPolicy.deny[1]',
        'targetPolicy.schemes[0]',
        'tokens[0].services',
        'tokens[0].token',
      ].sort(),
    );
  });
});
