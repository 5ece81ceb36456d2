/** Seed 004, the `/sse-test` page: send any event, see every tab receive it, inspect the connection. */
import { ConnectionStatus, useEvent } from '@tidings/react';
import { useMemo, useState } from 'react';
import { api } from '../api.js';
import { DeadLetterPanel } from '../dead-letter-panel.js';
import '../publish-health.css';
import { Card, Empty, PageHeader } from '../ui.js';

interface Received {
  id: string;
  type: string;
  time: string;
  data: unknown;
}

const EXAMPLES: Record<string, string> = {
  system_notification: '{"title": "Maintenance tonight", "severity": "info"}',
  rental_status_updated: '{"rentalId": "R-1042", "status": "returned"}',
  sync_progress: '{"job": "nightly-sync", "pct": 42}',
};

export function ConsolePage() {
  const [type, setType] = useState('system_notification');
  const [payload, setPayload] = useState(EXAMPLES.system_notification ?? '{}');
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [history, setHistory] = useState<Received[]>([]);
  const [filter, setFilter] = useState('');

  useEvent('*', (e) => {
    if (e.topic !== 'console') return;
    setHistory((h) => [{ id: e.id, type: e.type, time: e.time, data: e.data }, ...h].slice(0, 200));
  });

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f
      ? history.filter(
          (h) => h.type.toLowerCase().includes(f) || JSON.stringify(h.data).toLowerCase().includes(f),
        )
      : history;
  }, [history, filter]);

  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setSent(null);
    let data: unknown;
    try {
      data = JSON.parse(payload);
    } catch {
      setError('The payload is not valid JSON; check quotes and commas.');
      return;
    }
    try {
      // The backend refuses what the hub would (a reserved type such as "reset", a bad name, a
      // payload too large or too deep) with a 400 sentence, shown below the form.
      await api('/api/console', { method: 'POST', body: { type: type.trim(), data } });
      setSent(`Sent ${type.trim()}.`);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <>
      <PageHeader
        title="Event console"
        lead="Send any event type with a JSON payload to the console topic; every open tab shows it."
      />
      <div className="grid grid--console">
        <Card title="Send an event">
          <form className="form" onSubmit={send}>
            <label>
              Event type
              <input
                value={type}
                onChange={(e) => setType(e.target.value)}
                name="type"
                spellCheck={false}
                list="console-types"
              />
              <datalist id="console-types">
                {Object.keys(EXAMPLES).map((t) => (
                  <option key={t} value={t} />
                ))}
              </datalist>
            </label>
            <label>
              Payload (JSON)
              <textarea
                value={payload}
                onChange={(e) => setPayload(e.target.value)}
                name="payload"
                rows={5}
                spellCheck={false}
                className="mono"
              />
            </label>
            {error && (
              <p className="form__error" role="alert">
                {error}
              </p>
            )}
            <div className="form__row">
              <button type="submit" className="btn btn--primary">
                Send event
              </button>
              {sent && (
                <span className="muted" role="status">
                  {sent}
                </span>
              )}
            </div>
          </form>
        </Card>
        <Card title="Connection">
          <ConnectionStatus variant="full" recentEvents={5} title="Hub connection" />
        </Card>
      </div>
      <Card
        title="Event history"
        aside={
          <div className="card__tools console-tools">
            <input
              className="input--small"
              placeholder="Filter by type or payload"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
              aria-label="Filter events"
            />
            <button
              type="button"
              className="btn btn--ghost"
              onClick={() => setHistory([])}
              disabled={history.length === 0}
            >
              Clear
            </button>
          </div>
        }
      >
        {shown.length === 0 ? (
          <Empty title={history.length === 0 ? 'No events yet' : 'Nothing matches the filter'}>
            {history.length === 0
              ? 'Events sent from any tab appear here as they arrive.'
              : 'Clear the filter to see every event.'}
          </Empty>
        ) : (
          <ol className="events" data-testid="console-history">
            {shown.map((h) => (
              <li key={h.id} data-event-id={h.id} data-type={h.type}>
                <time className="muted">{new Date(h.time).toLocaleTimeString()}</time>
                <span className="events__type">{h.type}</span>
                <code className="events__data">{JSON.stringify(h.data)}</code>
              </li>
            ))}
          </ol>
        )}
      </Card>
      <DeadLetterPanel />
    </>
  );
}
