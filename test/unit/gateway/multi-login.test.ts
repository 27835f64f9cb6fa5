import { describe, expect, it } from 'vitest';
import { sessionsToKick } from '../../../src/gateway/multi-login.js';

const s = (platformID: number, token = `t${platformID}`) => ({ platformID, token });

describe('multi-login policy', () => {
  const existing = [s(1), s(2), s(3), s(5), s(7), s(9)];
  it('0 kicks nobody', () => {
    expect(sessionsToKick(0, existing, s(1, 'new')).kick).toEqual([]);
  });
  it('1 kicks the same platform ID and invalidates', () => {
    expect(sessionsToKick(1, existing, s(5, 'new'))).toEqual({ kick: [s(5)], report: 'invalidateToken' });
    expect(sessionsToKick(1, existing, s(4, 'new'))).toEqual({ kick: [], report: 'none' });
  });
  it('4 kicks the same class and reports KickTokens', () => {
    expect(sessionsToKick(4, existing, s(2, 'new'))).toEqual({ kick: [s(1), s(2)], report: 'kickTokens' });
    expect(sessionsToKick(4, existing, s(4, 'new')).kick).toEqual([s(3), s(7)]);
    expect(sessionsToKick(4, existing, s(8, 'new')).kick).toEqual([s(9)]);
  });
  it('5: PC never kicks, non-PC kicks non-PC', () => {
    expect(sessionsToKick(5, existing, s(3, 'new')).kick).toEqual([]);
    expect(sessionsToKick(5, existing, s(1, 'new')).kick).toEqual([s(1), s(2), s(5), s(9)]);
  });
  it('never kicks a session with the same token', () => {
    expect(sessionsToKick(1, [s(5, 'same')], s(5, 'same')).kick).toEqual([]);
    expect(sessionsToKick(4, [s(1, 'same')], s(2, 'same')).kick).toEqual([]);
  });
});
