import {
  silentSubscriptionAlert,
  subscriptionEvents,
  SILENT_AFTER_HOURS,
} from '../src/core/eventSubscriptions';
import { deadLetteredEvents } from '../src/usecases/blindSpots';
import { InputError } from '../src/core/errors';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const NOW = new Date('2026-11-26T02:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000).toISOString();

describe('subscriptionEvents', () => {
  it('one entry per watched subscription, lower-cased and sorted, silent past 24 hours', () => {
    expect(SILENT_AFTER_HOURS).toBe(24);
    const received = [
      { subscriptionId: A, lastEventAt: hoursAgo(23.9) },
      { subscriptionId: B, lastEventAt: hoursAgo(24.1) },
    ];
    expect(
      subscriptionEvents([B.toUpperCase(), A, A], received, NOW, { expectEvents: true }),
    ).toEqual([
      { subscriptionId: A, lastEventAt: hoursAgo(23.9), silent: false },
      { subscriptionId: B, lastEventAt: hoursAgo(24.1), silent: true },
    ]);
  });

  it('exactly 24 hours is not yet silent; an unreadable time is', () => {
    expect(
      subscriptionEvents([A], [{ subscriptionId: A, lastEventAt: hoursAgo(24) }], NOW, {
        expectEvents: true,
      })[0].silent,
    ).toBe(false);
    expect(
      subscriptionEvents([A], [{ subscriptionId: A, lastEventAt: 'yesterday' }], NOW, {
        expectEvents: true,
      })[0].silent,
    ).toBe(true);
  });

  it('never sent an event: silent where events are expected, or once another subscription sent some', () => {
    expect(subscriptionEvents([A, B], [], NOW, { expectEvents: false })).toEqual([
      { subscriptionId: A, lastEventAt: null, silent: false },
      { subscriptionId: B, lastEventAt: null, silent: false },
    ]);
    expect(subscriptionEvents([A], [], NOW, { expectEvents: true })[0].silent).toBe(true);
    expect(
      subscriptionEvents([A, B], [{ subscriptionId: A, lastEventAt: hoursAgo(1) }], NOW, {
        expectEvents: false,
      })[1],
    ).toEqual({ subscriptionId: B, lastEventAt: null, silent: true });
  });

  it('a subscription no longer watched is not listed', () => {
    expect(
      subscriptionEvents([A], [{ subscriptionId: B, lastEventAt: hoursAgo(100) }], NOW, {
        expectEvents: true,
      }).map((s) => s.subscriptionId),
    ).toEqual([A]);
  });
});

describe('silentSubscriptionAlert', () => {
  it('is filed under the subscription with the day in its dedupe key, and says since when', () => {
    const alert = silentSubscriptionAlert(
      { subscriptionId: A, lastEventAt: hoursAgo(30), silent: true },
      NOW,
    );
    expect(alert).toMatchObject({
      clusterId: `/subscriptions/${A}`,
      subscriptionId: A,
      kind: 'event-subscription-silent',
      dedupeKey: `/subscriptions/${A}|event-subscription-silent|2026-11-26`,
    });
    expect(alert.after).toContain(hoursAgo(30));
    expect(
      silentSubscriptionAlert({ subscriptionId: A, lastEventAt: null, silent: true }, NOW).after,
    ).toContain('no event has ever been received');
  });
});

describe('deadLetteredEvents', () => {
  it('takes an array of events with the dead-letter fields beside them, one event, or wrapped events', () => {
    const event = { id: '1', eventType: 'x', deadLetterReason: 'MaxDeliveryAttemptsExceeded' };
    expect(deadLetteredEvents(JSON.stringify([event]))).toEqual([event]);
    expect(deadLetteredEvents(JSON.stringify(event))).toEqual([event]);
    const cloud = { id: '2', specversion: '1.0' };
    expect(
      deadLetteredEvents(
        JSON.stringify([{ event: cloud, deadLetterProperties: { deadletterreason: 'TimedOut' } }]),
      ),
    ).toEqual([cloud]);
  });

  it('refuses what is not JSON with a clear error', () => {
    expect(() => deadLetteredEvents('{"truncated": ')).toThrow(InputError);
    expect(() => deadLetteredEvents('')).toThrow(/the dead letter is not JSON/);
  });
});
