/**
 * The engines this build can run. An instance can only be created for one of
 * these; `baileys` joins the list once its engine is wired into the gateway.
 */
import type { EngineName } from './engine.js';

export const AVAILABLE_ENGINES: readonly EngineName[] = ['sandbox'];
