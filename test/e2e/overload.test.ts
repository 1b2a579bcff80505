/**
 * Load shedding, against the real server (in this process, so the test can
 * starve its event loop): while the loop lags, sends are refused with 503
 * overloaded and Retry-After, while status reads keep answering; once the
 * pressure is gone, sends are accepted. Slow commits: slow-commit.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type Tenant, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway | undefined;
afterEach(async () => {
  await g?.stop();
  g = undefined;
});

const text = { phone: '554499999999', data: { text: 'under pressure' } };

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* starve the event loop */
  }
}

/** Start-up itself can lag the loop for a sample (longer on a loaded machine): wait until sends are accepted, up to 15 s. */
async function acceptedOnceSettled(gw: TestGateway, t: Tenant): Promise<Awaited<ReturnType<TestGateway['send']>>> {
  for (const until = Date.now() + 15_000; Date.now() < until;) {
    const r = await gw.send(t, 'text', text);
    if (r.status === 200) return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('sends were never accepted');
}

describe('overload', () => {
  it('a lagging event loop sheds sends with 503 + Retry-After; status reads still answer; then it recovers', async () => {
    g = await startTestGateway({ CONNEXA_OVERLOAD_EVENT_LOOP_DELAY_MS: '100', CONNEXA_OVERLOAD_SAMPLE_MS: '100', CONNEXA_OVERLOAD_COMMIT_MS: '0' });
    const gw = g;
    const t = await gw.tenant();
    const ok = await acceptedOnceSettled(gw, t);

    // Sustained lag: the loop is blocked 200 ms out of every ~210 ms until a send is shed (at most 10 s:
    // a process that gets little CPU on a loaded machine makes few sends in that time).
    const starve = setInterval(() => busy(200), 10);
    const seen: number[] = [];
    let shed: Awaited<ReturnType<TestGateway['send']>> | undefined;
    let readStatus = 0;
    try {
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        const r = await gw.send(t, 'text', text);
        seen.push(r.status);
        if (r.status === 503) {
          shed = r;
          readStatus = (await gw.get(t, `/api/v1/message/${ok.body.message_id ?? ''}`)).status;
          break;
        }
      }
    } finally {
      clearInterval(starve);
    }
    expect(shed?.body.error?.code).toBe('overloaded');
    expect(Number(shed?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(readStatus).toBe(200);

    // The pressure is gone: within a few samples (bounded at 15 s for a loaded machine) sends are accepted again.
    let after = 0;
    for (const until = Date.now() + 15_000; Date.now() < until && after !== 200;) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await gw.send(t, 'text', text)).status;
    }
    expect(after).toBe(200);
  });
});
