/** A panel's actions: each runs with the last error and notice cleared, and a failure becomes the error shown. */
import { useState } from 'preact/hooks';
import { describeError } from './api.js';

export function useAction() {
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const run = async (what: () => Promise<void>): Promise<void> => {
    setError(undefined);
    setNotice(undefined);
    try {
      await what();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return { error, setError, notice, setNotice, run };
}
