import { createClient, type TidingsClient } from '@tidings/client';

/**
 * Server to server: a Node process (a worker, a cache warmer) consuming a hub's events with the
 * same client browsers use. It resumes after the last event it saw on every reconnection, so a
 * hub restart loses it nothing; `token` is the hub's publisher key or a service token.
 */
export function consume(
  hubUrl: string,
  topics: string[],
  onEvent: (type: string, data: unknown, id: string) => void,
  token?: string,
): TidingsClient {
  const client = createClient({ url: `${hubUrl}/events`, topics, ...(token && { token }) });
  client.on('*', (e) => onEvent(e.type, e.data, e.id));
  client.onState((s) => {
    if (s.lastError) console.warn(`[consumer] ${s.status}: ${s.lastError.message}`);
  });
  client.onReset((r) =>
    console.warn(`[consumer] missed events (${r.reason}): rebuild from the source of truth`),
  );
  client.connect();
  return client;
}
