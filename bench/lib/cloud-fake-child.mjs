// The fake Graph API's own process for bench/cloud.mjs (started by cloud-fake.mjs with
// an IPC channel): the compiled test/fakes/graph/server.js, on 127.0.0.1 with default
// limits, watched without changing what it does. Its public `limits` (the number's
// throughput, then the pair rate, checked in that order on every valid send) are
// wrapped to count each refusal (130429, 131056) and time each acceptance and each
// send that reached the throughput check. Its own process, so the bench's client
// work never delays when the fake counts a send.
//
//   node bench/lib/cloud-fake-child.mjs <compiled server.js URL>
const { FakeGraphServer } = await import(process.argv[2]);

const fake = await FakeGraphServer.start();
const refusals = { 130429: 0, 131056: 0 };
const acceptedAt = [];
const attemptsAt = [];
const limits = fake.limits;
const throughput = limits.throughput.bind(limits);
const pair = limits.pair.bind(limits);
limits.throughput = (id) => {
  attemptsAt.push(Date.now());
  const ok = throughput(id);
  if (!ok) refusals[130429]++;
  return ok;
};
limits.pair = (id, recipient) => {
  const ok = pair(id, recipient);
  if (ok) acceptedAt.push(Date.now());
  else refusals[131056]++;
  return ok;
};

/** How often each message index (from `cloud bench #<i> …`) reached the fake: [[i, count]]. */
function indexCounts() {
  const counts = new Map();
  for (const m of fake.messages) {
    const match = /#(\d+)\b/.exec(m.body?.text?.body ?? '');
    if (match === null) continue;
    const i = Number(match[1]);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return [...counts];
}

const commands = {
  subscribe: async ({ url, verifyToken }) => {
    await fake.subscribe(url, verifyToken);
    return {};
  },
  counts: async () => ({ counts: indexCounts() }),
  figures: async () => {
    const sends = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    return {
      counts: indexCounts(),
      messages: fake.messages.length,
      refusals,
      acceptedAt,
      attemptsAt,
      perSecond: fake.limits.options.perSecond,
      sendRequests: sends.length,
      non200Sends: sends.filter((r) => r.status !== 200).length,
    };
  },
  close: async () => {
    await fake.close();
    return {};
  },
};

process.on('message', (msg) => {
  const command = commands[msg.cmd];
  const reply = (body) => process.send?.({ id: msg.id, ...body });
  if (command === undefined) return reply({ error: `unknown command ${msg.cmd}` });
  command(msg.args ?? {}).then(reply, (err) => reply({ error: err instanceof Error ? err.message : String(err) }));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: { url: fake.url, phoneNumberId: fake.phoneNumberId, accessToken: fake.accessToken, appSecret: fake.appSecret } });
