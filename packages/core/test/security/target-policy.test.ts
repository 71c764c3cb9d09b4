import { describe, expect, it } from 'vitest';
import { TARGET_POLICY_ERROR_CODE, type TargetPolicy } from '@governance/core';
import { resolveManagerConfig } from '../../src/manager/config';
import { TargetPolicyGuard } from '../../src/security/target-policy';

function guard(policy: Partial<TargetPolicy> = {}): TargetPolicyGuard {
  return new TargetPolicyGuard(resolveManagerConfig({ targetPolicy: policy }).targetPolicy);
}

function lookup(g: TargetPolicyGuard, host: string, all: boolean): Promise<{ error?: NodeJS.ErrnoException; result?: unknown }> {
  return new Promise((resolve) => {
    g.lookup(host, { all } as never, (error: NodeJS.ErrnoException | null, address: unknown, family?: number) => {
      resolve(error ? { error } : { result: all ? address : { address, family } });
    });
  });
}

describe('TargetPolicyGuard', () => {
  it('denies link-local and "this network" by default, in every spelling, and allows loopback', () => {
    const g = guard();
    expect(g.addressProblem('169.254.169.254')).toBe('address 169.254.169.254 is denied by the target policy');
    expect(g.addressProblem('::ffff:169.254.169.254')).toMatch(/denied/);
    expect(g.addressProblem('[fe80::1]')).toMatch(/denied/);
    expect(g.addressProblem('fe80::1%eth0')).toMatch(/denied/);
    expect(g.addressProblem('0.0.0.0')).toMatch(/denied/);
    expect(g.addressProblem('::')).toMatch(/denied/);
    expect(g.addressProblem('[::]')).toMatch(/denied/);
    expect(g.addressProblem('127.0.0.1')).toBeUndefined();
    expect(g.addressProblem('::1')).toBeUndefined();
    expect(g.addressProblem('10.1.2.3')).toBeUndefined();
  });

  it('checks literal URLs at registration, whatever the notation WHATWG URL normalises', () => {
    const g = guard();
    expect(g.urlProblem('http://169.254.169.254/latest/meta-data')).toMatch(/169\.254\.169\.254 is denied/);
    expect(g.urlProblem('http://0xa9fea9fe/')).toMatch(/denied/);
    expect(g.urlProblem('http://2852039166/')).toMatch(/denied/);
    expect(g.urlProblem('http://[::ffff:169.254.169.254]/')).toMatch(/denied/);
    expect(g.urlProblem('tcp://169.254.169.254:80')).toMatch(/denied/);
    expect(g.urlProblem('http://127.0.0.1:8080/health')).toBeUndefined();
    expect(g.urlProblem('http://pod-1.eir.svc:8080/health')).toBeUndefined();
    expect(g.urlProblem('not a url')).toBeUndefined();
  });

  it('refuses schemes outside the list', () => {
    const g = guard({ schemes: ['https'] });
    expect(g.urlProblem('http://10.0.0.1/')).toBe('scheme http is not allowed by the target policy (allowed: https)');
    expect(g.urlProblem('https://10.0.0.1/')).toBeUndefined();
    expect(g.connectProblem('tcp:', '10.0.0.1')).toMatch(/^\[core\] scheme tcp is not allowed/);
  });

  it('resolves localhost statically at registration', () => {
    const g = guard({ deny: ['127.0.0.0/8'] });
    expect(g.urlProblem('http://localhost:8080/health')).toBe('localhost is 127.0.0.1: address 127.0.0.1 is denied by the target policy');
    expect(g.urlProblem('http://api.localhost./')).toMatch(/denied/);
    expect(guard().urlProblem('http://localhost:8080/health')).toBeUndefined();
  });

  it('with an allow list, refuses every address outside it', () => {
    const g = guard({ allow: ['10.0.0.0/8', 'fd00::/8'] });
    expect(g.addressProblem('10.20.30.40')).toBeUndefined();
    expect(g.addressProblem('fd12::1')).toBeUndefined();
    expect(g.addressProblem('192.168.1.1')).toBe("address 192.168.1.1 is not in the target policy's allow list");
    expect(g.addressProblem('169.254.1.1')).toMatch(/denied/);
    expect(guard({ allow: ['169.254.0.0/16'] }).addressProblem('169.254.1.1')).toMatch(/denied/);
  });

  it('names the fields of a registration', () => {
    const errors = guard().registrationProblems({
      healthCheckUrl: 'http://169.254.169.254/health',
      notificationUrl: 'http://127.0.0.1/notify',
    });
    expect(errors).toEqual([{ path: 'healthCheckUrl', message: expect.stringMatching(/^address 169\.254\.169\.254 is denied by the target policy; /) }]);
  });

  it('checks every resolved address at connect time (lookup), in both callback forms', async () => {
    const open = guard();
    expect((await lookup(open, 'localhost', true)).result).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
    expect((await lookup(open, 'localhost', false)).result).toMatchObject({ address: expect.any(String), family: expect.any(Number) });

    const closed = guard({ deny: ['127.0.0.0/8', '::1/128'] });
    for (const all of [true, false]) {
      const { error } = await lookup(closed, 'localhost', all);
      expect(error?.code).toBe(TARGET_POLICY_ERROR_CODE);
      expect(error?.message).toMatch(/^\[core\] refused to connect to localhost \((127\.0\.0\.1|::1)\): address .* is denied by the target policy/);
    }
  });

  it('passes DNS failures through unchanged', async () => {
    const { error } = await lookup(guard(), 'no-such-host.invalid', false);
    expect(error?.code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});
