import { errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../logging.js';

// Notifications of rollout transitions (DESIGN: "a notification where one is configured"):
// a Slack incoming webhook, a PagerDuty Events API v2 endpoint, or any URL taking plain JSON.
// Sending never blocks or fails a reconcile: messages go through a small bounded queue, each
// POST is cut at a timeout, and a failure is logged (and counted) rather than thrown.

export const NOTIFY_FORMATS = ['json', 'slack', 'pagerduty'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

export interface RolloutNotice {
  namespace: string;
  rollout: string;
  revision?: string | undefined;
  step?: number | undefined;
  phase?: string | undefined;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  at: string;
}

export interface Notifier {
  notify(notice: RolloutNotice): void;
  /** Resolves once every queued message was sent or given up on. */
  flush(): Promise<void>;
}

export interface WebhookNotifierOptions {
  url: string;
  format: NotifyFormat;
  /** 'warning': only Warning transitions (rollbacks, freezes, failures). Default 'all'. */
  minimum?: 'all' | 'warning';
  /** PagerDuty: the integration's routing key. */
  routingKey?: string | undefined;
  timeoutMs?: number;
  /** Messages waiting beyond this are dropped (and logged). Default 100. */
  maxQueue?: number;
  logger?: Logger | undefined;
}

function subject(n: RolloutNotice): string {
  const where = `${n.namespace}/${n.rollout}`;
  const rev = n.revision ? ` revision ${n.revision}` : '';
  return `${where}${rev}: ${n.reason}`;
}

/** The body each kind of receiver expects. */
export function renderNotice(
  n: RolloutNotice,
  format: NotifyFormat,
  routingKey?: string,
): Record<string, unknown> {
  switch (format) {
    case 'json':
      return { ...n };
    case 'slack':
      return {
        text: `${n.type === 'Warning' ? ':warning: ' : ''}*${subject(n)}*\n${n.message}`,
      };
    case 'pagerduty':
      return {
        routing_key: routingKey ?? '',
        event_action: 'trigger',
        // One incident per rollout and revision: repeats update it instead of paging again.
        dedup_key: `sluice/${n.namespace}/${n.rollout}/${n.revision ?? ''}/${n.reason}`,
        payload: {
          summary: `${subject(n)}: ${n.message}`.slice(0, 1024),
          source: `sluice/${n.namespace}/${n.rollout}`,
          severity: n.type === 'Warning' ? 'error' : 'info',
          timestamp: n.at,
          custom_details: n,
        },
      };
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

export function createWebhookNotifier(o: WebhookNotifierOptions): Notifier {
  const url = new URL(o.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`notification URL must be http or https, got ${url.protocol}`);
  if (o.format === 'pagerduty' && !o.routingKey)
    throw new Error('pagerduty notifications need a routing key');
  const timeoutMs = o.timeoutMs ?? 5000;
  const maxQueue = o.maxQueue ?? 100;
  const queue: RolloutNotice[] = [];
  let sending: Promise<void> | undefined;

  const send = async (n: RolloutNotice): Promise<void> => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(renderNotice(n, o.format, o.routingKey)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      o.logger?.warn('notification not delivered', {
        namespace: n.namespace,
        rollout: n.rollout,
        reason: n.reason,
        url: `${url.origin}${url.pathname}`,
        error: errorMessage(err),
      });
    }
  };

  const drain = async (): Promise<void> => {
    for (let n = queue.shift(); n; n = queue.shift()) await send(n);
    sending = undefined;
  };

  return {
    notify(n) {
      if (o.minimum === 'warning' && n.type !== 'Warning') return;
      if (queue.length >= maxQueue) {
        o.logger?.warn('notification dropped: queue full', {
          namespace: n.namespace,
          rollout: n.rollout,
          reason: n.reason,
        });
        return;
      }
      queue.push(n);
      sending ??= drain();
    },
    async flush() {
      while (sending) await sending;
    },
  };
}
