import { describe, expect, it } from 'vitest';
import { resolveManagerConfig } from '../../src/manager/config';
import { TokenAuthenticator, constantTimeEqual } from '../../src/security/token-auth';

const tokens = resolveManagerConfig({
  tokens: [
    { token: 'eir-writer-token-0001', services: ['eir'], name: 'eir' },
    { token: 'admin-token-000000001', services: ['*'], read: true, name: 'admin' },
    { token: 'reader-token-00000001', services: ['nobody'], read: true },
  ],
}).tokens;

describe('constantTimeEqual', () => {
  it('is true only for identical strings, whatever the lengths', () => {
    expect(constantTimeEqual('secret-value', 'secret-value')).toBe(true);
    expect(constantTimeEqual('secret-value', 'secret-valuE')).toBe(false);
    expect(constantTimeEqual('short', 'a much longer string than short')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('ü', 'u')).toBe(false);
  });
});

describe('TokenAuthenticator', () => {
  const auth = new TokenAuthenticator(tokens);

  it('is disabled without tokens', () => {
    expect(new TokenAuthenticator([]).enabled).toBe(false);
    expect(auth.enabled).toBe(true);
  });

  it('finds the configured token a Bearer header carries, case-insensitive scheme', () => {
    expect(auth.authenticate('Bearer eir-writer-token-0001')?.name).toBe('eir');
    expect(auth.authenticate('bearer  admin-token-000000001 ')?.name).toBe('admin');
    expect(auth.authenticate('Bearer eir-writer-token-0002')).toBeUndefined();
    expect(auth.authenticate('Basic eir-writer-token-0001')).toBeUndefined();
    expect(auth.authenticate('eir-writer-token-0001')).toBeUndefined();
    expect(auth.authenticate('Bearer ')).toBeUndefined();
    expect(auth.authenticate(undefined)).toBeUndefined();
  });

  it('answers 401 with a Bearer challenge for a missing, malformed or unknown token', () => {
    for (const headers of [{}, { authorization: '' }, { authorization: 'Token x' }, { authorization: 'Bearer nope-nope-nope-nope' }]) {
      const verdict = auth.check(headers);
      expect('status' in verdict && verdict.status).toBe(401);
      expect('status' in verdict && verdict.headers?.['www-authenticate']).toMatch(/^Bearer/);
      expect('status' in verdict && verdict.message).toMatch(/^\[core\] /);
    }
    const ok = auth.check({ authorization: 'Bearer admin-token-000000001' });
    expect('token' in ok && ok.token.name).toBe('admin');
  });

  it('scopes writes to the listed services, "*" to all', () => {
    const eir = auth.authenticate('Bearer eir-writer-token-0001')!;
    const admin = auth.authenticate('Bearer admin-token-000000001')!;
    expect(auth.checkWrite(eir, 'eir')).toBeUndefined();
    expect(auth.checkWrite(eir, 'smf')).toMatchObject({ status: 403 });
    expect(auth.checkWrite(eir, 'smf')!.message).toContain('"smf"');
    expect(auth.checkWrite(admin, 'anything')).toBeUndefined();
  });

  it('needs read: true for reads', () => {
    const eir = auth.authenticate('Bearer eir-writer-token-0001')!;
    const reader = auth.authenticate('Bearer reader-token-00000001')!;
    expect(auth.checkRead(eir)).toMatchObject({ status: 403 });
    expect(auth.checkRead(reader)).toBeUndefined();
  });
});
