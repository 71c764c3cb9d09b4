import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '@governance/core';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['300ms', 300],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['2h45m', 9_900_000],
    ['1h2m3.5s', 3_723_500],
    ['500us', 0.5],
    ['500µs', 0.5],
    ['2000000ns', 2],
    ['0', 0],
    ['+5s', 5_000],
    ['-2m', -120_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '30x', '30', '1.2.3s', 's', '.s', '30 s', ' 30s', '+', '-', '1d', '5S', '1h-5m'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(SyntaxError);
  });

  it('formats milliseconds back the way Go prints them', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(300)).toBe('300ms');
    expect(formatDuration(3_600_000)).toBe('1h0m0s');
    expect(formatDuration(1_500)).toBe('1.5s');
  });
});

describe('parseDuration messages', () => {
  it('suggests a unit for a bare number', () => {
    expect(() => parseDuration('30')).toThrow('missing unit in duration "30"; write "30s" or "30ms"');
  });

  it('names an unknown unit', () => {
    expect(() => parseDuration('1d')).toThrow('unknown unit "d" in duration "1d"');
  });
});
