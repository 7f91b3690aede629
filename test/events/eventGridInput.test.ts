import { readFileSync } from 'fs';
import { join } from 'path';
import { parseEventBatch, parseFunctionTriggerEvent } from '../../src/adapters/eventGridInput';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { InputError } from '../../src/core/errors';
import { routingFactsOf } from '../../src/core/clusterFacts';
import { routeEvent } from '../../src/core/events';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const SUB = '11111111-1111-4111-8111-111111111111';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;

function fixture(name: string): Record<string, unknown>[] {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>[];
}

const ctx = { watchedSubscriptions: [SUB], knownClusterIds: [CLUSTER] };

describe('parseEventBatch', () => {
  it('parses an Event Grid schema role-assignment write into an ArmEvent with who and from where', async () => {
    const batch = await parseEventBatch(fixture('eventgrid-role-assignment-write.json'));
    expect(batch.rejected).toEqual([]);
    expect(batch.validation).toBeUndefined();
    expect(batch.events).toHaveLength(1);
    const [event] = batch.events;
    expect(event).toMatchObject({
      id: 'e7a1c2d3-0001-4000-8000-000000000001',
      schema: 'eventgrid',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
      time: '2026-11-22T10:15:30.123Z',
      operationName: 'Microsoft.Authorization/roleAssignments/write',
      status: 'Succeeded',
      subscriptionId: SUB,
      caller: {
        name: 'alice@contoso.example',
        objectId: 'a11ce000-0000-4000-8000-000000000001',
        appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
        ipAddress: '203.0.113.24',
      },
      evidence: { role: 'Owner', principalType: 'User' },
    });
    // Claims beyond who-and-where (aio, uti, rh, …) are not carried.
    expect(JSON.stringify(event)).not.toMatch(/fake-(aio|rh|uti)-value/);
    expect(routeEvent(event, ctx)).toMatchObject({
      kind: 'evaluate',
      clusterIds: [CLUSTER],
      signal: 'privileged-role-granted',
    });
  });

  it('parses the same event in CloudEvents 1.0 to the same ArmEvent but for id and schema', async () => {
    const [grid] = (await parseEventBatch(fixture('eventgrid-role-assignment-write.json'))).events;
    const [cloud] = (await parseEventBatch(fixture('cloudevents-role-assignment-write.json')))
      .events;
    expect(cloud.schema).toBe('cloudevents');
    expect({ ...cloud, id: '', schema: '' }).toEqual({ ...grid, id: '', schema: '' });
  });

  it('accepts a single event object as well as an array, and a JSON string', async () => {
    const [single] = fixture('cloudevents-admin-credential.json');
    const fromObject = await parseEventBatch(single);
    const fromString = await parseEventBatch(JSON.stringify([single]));
    expect(fromObject.events).toHaveLength(1);
    expect(fromString.events).toEqual(fromObject.events);
    expect(routeEvent(fromObject.events[0], ctx)).toMatchObject({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
      clusterId: CLUSTER,
      subscriptionId: SUB,
    });
  });

  it('recognises the subscription validation handshake', async () => {
    const batch = await parseEventBatch(fixture('eventgrid-subscription-validation.json'));
    expect(batch.validation).toEqual({ validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(batch.events).toEqual([]);
  });

  it('refuses a validation event whose code could not be echoed safely', async () => {
    const [validation] = fixture('eventgrid-subscription-validation.json');
    const batch = await parseEventBatch({ ...validation, data: { validationCode: '<script>' } });
    expect(batch.validation).toBeUndefined();
    expect(batch.rejected[0].reason).toMatch(/validationCode/);
  });

  it('a malformed element is rejected with its id and problem; the rest of the batch is parsed', async () => {
    const [good] = fixture('eventgrid-cluster-write.json');
    const [goodCloud] = fixture('cloudevents-admin-credential.json');
    const batch = await parseEventBatch([
      good,
      { ...good, id: 'no-topic', topic: undefined },
      { ...good, id: 'bad-time', eventTime: 'yesterday' },
      { ...good, id: 'no-metadata-version', metadataVersion: undefined },
      { ...goodCloud, id: 'old-spec', specversion: '0.3' },
      { ...goodCloud, id: 'string-data', data: 'hello' },
      { ...goodCloud, id: 'binary-data', data: undefined, data_base64: 'aGVsbG8=' },
      { ...good, id: 'no-operation', data: { ...(good.data as object), operationName: undefined } },
      {
        ...good,
        id: 'other-sub-topic',
        topic: '/subscriptions/99999999-9999-4999-8999-999999999999',
      },
      { id: 'neither', hello: 'world' },
      42,
      null,
      goodCloud,
    ]);
    expect(batch.events.map((e) => e.id)).toEqual([good.id, goodCloud.id]);
    const reasons = Object.fromEntries(batch.rejected.map((r) => [r.id ?? '(none)', r.reason]));
    expect(reasons['no-topic']).toBe("event is missing required property 'topic'");
    expect(reasons['bad-time']).toBe('time "yesterday" is not a valid date');
    expect(reasons['no-metadata-version']).toMatch(/metadataVersion/);
    expect(reasons['old-spec']).toMatch(/Cloud Event 1.0/);
    expect(reasons['string-data']).toMatch(/data must be a JSON object/);
    expect(reasons['binary-data']).toMatch(/binary data/);
    expect(reasons['no-operation']).toMatch(/operationName/);
    expect(reasons['other-sub-topic']).toMatch(/subject names subscription .* but topic names/);
    expect(reasons.neither).toMatch(/neither the Event Grid schema/);
    expect(batch.rejected.filter((r) => r.id === undefined).map((r) => r.reason)).toEqual([
      '(no id) element 10 is not a JSON object',
      '(no id) element 11 is not a JSON object',
    ]);
    for (const r of batch.rejected) expect(r.reason).not.toContain('\n');
  });

  it('an unusable id is described, not echoed raw, and the element is rejected', async () => {
    const [good] = fixture('eventgrid-cluster-write.json');
    const batch = await parseEventBatch([{ ...good, id: 'line1\nline2' }]);
    expect(batch.rejected).toHaveLength(1);
    expect(batch.rejected[0].id).toBeUndefined();
    expect(batch.rejected[0].reason).toMatch(/^\(unusable id "line1\\nline2"\) /);
  });

  it('the same id twice in one delivery is one event', async () => {
    const [good] = fixture('eventgrid-cluster-write.json');
    const batch = await parseEventBatch([good, good]);
    expect(batch.events).toHaveLength(1);
  });

  it('mixes both schemas in one batch', async () => {
    const batch = await parseEventBatch([
      ...fixture('eventgrid-cluster-write.json'),
      ...fixture('cloudevents-role-assignment-write.json'),
    ]);
    expect(batch.events.map((e) => e.schema)).toEqual(['eventgrid', 'cloudevents']);
  });

  it.each([
    ['not JSON', '{nope'],
    ['a number', 7],
    ['null', null],
  ])('a body that is %s is an InputError', async (_what, body) => {
    await expect(parseEventBatch(body)).rejects.toBeInstanceOf(InputError);
  });
});

describe('parseFunctionTriggerEvent', () => {
  it('takes the one event the Functions host hands over (eventTime as a string)', async () => {
    const [raw] = fixture('eventgrid-admin-credential.json');
    const event = await parseFunctionTriggerEvent(raw);
    expect(event.operationName).toBe(
      'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
    );
    expect(event.caller.ipAddress).toBe('203.0.113.24');
  });

  it('takes a CloudEvents event too', async () => {
    const [raw] = fixture('cloudevents-admin-credential.json');
    expect((await parseFunctionTriggerEvent(raw)).schema).toBe('cloudevents');
  });

  it('a malformed event is an InputError naming the id and problem', async () => {
    const [raw] = fixture('eventgrid-cluster-write.json');
    await expect(parseFunctionTriggerEvent({ ...raw, subject: 5 })).rejects.toThrow(
      new InputError(
        `event e7a1c2d3-0003-4000-8000-000000000003: event property 'subject should be a 'string', but is 'number'`,
      ),
    );
    await expect(parseFunctionTriggerEvent([raw])).rejects.toBeInstanceOf(InputError);
  });

  it('a validation event is refused: the host answers the handshake', async () => {
    const [raw] = fixture('eventgrid-subscription-validation.json');
    await expect(parseFunctionTriggerEvent(raw)).rejects.toThrow(/handshake/);
  });
});

describe('samples/events against the sample estate', () => {
  const SAMPLES = join(__dirname, '..', '..', 'samples');
  const sample = (name: string) =>
    JSON.parse(readFileSync(join(SAMPLES, 'events', name), 'utf8')) as unknown;

  it('every sample parses and routes to a sample cluster', async () => {
    const source = new SnapshotSource(join(SAMPLES, 'estate'));
    const estate = await source.readEstate();
    const sampleCtx = {
      watchedSubscriptions: await source.watchedSubscriptions(),
      knownClusterIds: estate.clusters.map((c) => c.id),
      knownClusters: estate.clusters.map((c) => ({ id: c.id, ...routingFactsOf(c) })),
    };
    const byName = (name: string) => estate.clusters.find((c) => c.name === name)!.id;

    const routes: Record<string, unknown> = {};
    for (const name of [
      'role-assignment-write.json',
      'cluster-write.json',
      'admin-credential.json',
      'run-command.json',
      'user-credential.json',
      'trusted-access-binding.json',
      'pim-eligibility-request.json',
      'node-role-assignment.json',
      'node-run-command.json',
      'node-extension.json',
    ]) {
      const batch = await parseEventBatch(sample(name));
      expect(batch.rejected).toEqual([]);
      expect(batch.events).toHaveLength(1);
      routes[name] = routeEvent(batch.events[0], sampleCtx);
    }
    expect(routes['role-assignment-write.json']).toMatchObject({
      kind: 'evaluate',
      clusterIds: [byName('aks-payments-prod')],
      signal: 'privileged-role-granted',
    });
    expect(routes['cluster-write.json']).toMatchObject({
      kind: 'evaluate',
      clusterIds: [byName('aks-payments-prod')],
    });
    expect(routes['admin-credential.json']).toMatchObject({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
      clusterId: byName('aks-checkout-prod'),
    });
    expect(routes['run-command.json']).toMatchObject({
      kind: 'signal',
      signal: 'run-command-invoked',
      clusterId: byName('aks-checkout-prod'),
      entraIntegration: 'managed',
    });
    // aks-data-dev has no aadProfile: its user kubeconfig is an admin one.
    expect(routes['user-credential.json']).toMatchObject({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
      clusterId: byName('aks-data-dev'),
      entraIntegration: 'none',
    });
    expect(routes['trusted-access-binding.json']).toEqual({
      kind: 'evaluate',
      clusterIds: [byName('aks-payments-prod')],
      subscriptionIds: ['00000000-0000-4000-a000-000000000001'],
    });
    expect(routes['pim-eligibility-request.json']).toMatchObject({
      kind: 'evaluate',
      clusterIds: [byName('aks-payments-prod')],
      signal: 'privileged-role-granted',
    });
    expect(routes['node-role-assignment.json']).toMatchObject({
      kind: 'evaluate',
      clusterIds: [byName('aks-payments-prod')],
    });
    expect(routes['node-run-command.json']).toMatchObject({
      kind: 'signal',
      signal: 'node-command-invoked',
      clusterId: byName('aks-checkout-prod'),
    });
    expect(routes['node-extension.json']).toMatchObject({
      kind: 'signal',
      signal: 'node-command-invoked',
      clusterId: byName('aks-data-dev'),
    });
  });
});

describe('parseEventBatch: CloudEvents without a time', () => {
  it('is rejected: an ARM event always carries one', async () => {
    const [raw] = fixture('cloudevents-admin-credential.json');
    const batch = await parseEventBatch({ ...raw, time: undefined });
    expect(batch.rejected).toEqual([{ id: raw.id, reason: 'time is missing' }]);
  });
});

describe('parseEventBatch: ids with colons', () => {
  it('keep the id and the problem apart', async () => {
    const [raw] = fixture('eventgrid-cluster-write.json');
    const batch = await parseEventBatch({ ...raw, id: 'urn:evt:1', eventTime: 'soon' });
    expect(batch.rejected).toEqual([
      { id: 'urn:evt:1', reason: 'time "soon" is not a valid date' },
    ]);
  });
});
