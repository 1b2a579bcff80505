import { describe, expect, it } from 'vitest';
import { DisconnectReason } from 'baileys';
import { onDisconnect } from '../../src/engines/baileys/disconnect-policy.js';
import { brazilianFallback, brazilianMobileForms, lookupCandidates, phoneJid } from '../../src/engines/baileys/recipients.js';

describe('disconnect table', () => {
  it.each([
    [DisconnectReason.restartRequired, true, 'restart_now'],
    [DisconnectReason.loggedOut, true, 'logged_out'],
    [DisconnectReason.forbidden, true, 'banned'],
    [402, true, 'banned'],
    [406, true, 'banned'],
    [DisconnectReason.multideviceMismatch, true, 'failed'],
    [DisconnectReason.connectionReplaced, true, 'failed'],
    [DisconnectReason.connectionClosed, true, 'reconnect'],
    [DisconnectReason.connectionLost, true, 'reconnect'],
    [DisconnectReason.connectionLost, false, 'failed'],
    [DisconnectReason.badSession, true, 'reconnect'],
    [DisconnectReason.unavailableService, true, 'reconnect'],
    [405, true, 'reconnect'],
    [undefined, true, 'reconnect'],
  ])('%s (linked %s, after a QR) → %s', (code, linked, kind) => {
    expect(onDisconnect(code, linked, true).kind).toBe(kind);
  });

  it('a 408 before any QR is a timeout to retry, not an expired QR', () => {
    expect(onDisconnect(408, false, false).kind).toBe('reconnect');
  });

  it('a 408 before pairing says the QR expired; 405 raises an alert', () => {
    expect(onDisconnect(408, false, true)).toEqual({ kind: 'failed', reason: expect.stringMatching(/QR code/) });
    expect(onDisconnect(405, true)).toEqual({ kind: 'reconnect', alert: expect.stringMatching(/version/) });
  });

  it('a 405 again and again is client_outdated; 515 again and again waits for the backoff', () => {
    expect(onDisconnect(405, true, false, 2).kind).toBe('reconnect');
    expect(onDisconnect(405, true, false, 3)).toEqual({ kind: 'failed', reason: expect.stringMatching(/^client_outdated:/) });
    expect(onDisconnect(515, true, false, 3)).toEqual({ kind: 'restart_now' });
    expect(onDisconnect(515, true, false, 4)).toEqual({ kind: 'reconnect', alert: expect.stringMatching(/515/) });
  });
});

describe('recipients', () => {
  it('Brazilian mobiles are looked up in both forms', () => {
    expect(brazilianMobileForms('5544999999999')).toEqual(['5544999999999', '554499999999']);
    expect(brazilianMobileForms('554499999999')).toEqual(['5544999999999', '554499999999']);
    expect(brazilianMobileForms('554432221111')).toBeUndefined(); // a landline
    expect(lookupCandidates('15550100404')).toEqual(['15550100404']);
    expect(phoneJid('554499999999')).toBe('554499999999@s.whatsapp.net');
  });

  it('without a lookup: keep the 9 for area codes below 31 or numbers starting below 7', () => {
    expect(brazilianFallback('5511987654321')).toBe('5511987654321');
    expect(brazilianFallback('554499999999')).toBe('554499999999');
    expect(brazilianFallback('5544999999999')).toBe('554499999999');
    expect(brazilianFallback('5544961234567')).toBe('5544961234567');
  });
});
