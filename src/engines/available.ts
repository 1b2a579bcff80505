/**
 * The engines this build can run. An instance can only be created for one of
 * these.
 */
import type { EngineName } from './engine.js';

export const AVAILABLE_ENGINES: readonly EngineName[] = ['sandbox', 'baileys', 'cloud'];
