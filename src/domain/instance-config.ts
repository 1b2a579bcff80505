/**
 * Per-instance settings given when an instance is created
 * (`{"name", "engine", "config": {"pacing": {...}}}`), validated field by field.
 */
import { fieldError } from './errors.js';
import { DEFAULT_PACING, type PacingSettings } from './pacing.js';

export interface InstanceConfig {
  pacing: PacingSettings;
}

const LIMITS: Record<keyof Omit<PacingSettings, 'typing'>, [number, number]> = {
  minGapMs: [0, 600_000],
  jitterMs: [0, 600_000],
  perMinute: [1, 1_000],
};

export function parseInstanceConfig(input: unknown): InstanceConfig {
  if (input === undefined || input === null) return { pacing: { ...DEFAULT_PACING } };
  if (typeof input !== 'object' || Array.isArray(input)) throw fieldError('config', 'invalid_config', 'config must be an object');
  const pacingIn = (input as { pacing?: unknown }).pacing;
  if (pacingIn === undefined) return { pacing: { ...DEFAULT_PACING } };
  if (typeof pacingIn !== 'object' || pacingIn === null || Array.isArray(pacingIn))
    throw fieldError('config.pacing', 'invalid_config', 'config.pacing must be an object');
  const p = pacingIn as Record<string, unknown>;
  const pacing: PacingSettings = { ...DEFAULT_PACING };
  for (const [key, [min, max]] of Object.entries(LIMITS) as [keyof typeof LIMITS, [number, number]][]) {
    const v = p[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw fieldError(`config.pacing.${key}`, 'invalid_config', `config.pacing.${key} must be a whole number from ${min} to ${max}`);
    }
    pacing[key] = v;
  }
  if (p['typing'] !== undefined) {
    if (typeof p['typing'] !== 'boolean') throw fieldError('config.pacing.typing', 'invalid_config', 'config.pacing.typing must be true or false');
    pacing.typing = p['typing'];
  }
  return { pacing };
}
