/** What the `connexa` package exports for integrators. */
export { verifyWebhook, type VerifyResult } from './webhooks/signature.js';
