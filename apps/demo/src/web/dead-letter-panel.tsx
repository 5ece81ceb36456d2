/**
 * The console's list of events the hub refused for good (the outbox set them aside instead of
 * retrying them forever): type, topic, the hub's reason and when. An admin retries or discards
 * each; everyone else sees why.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from './api.js';
import { useSession } from './session.js';
import { Badge, Card, Empty } from './ui.js';
import './publish-health.css';

/** An entry of `GET /api/dead-letters`. */
export interface DeadLetter {
  seq: number;
  id: string;
  topic: string;
  type: string;
  data: unknown;
  status: number | null;
  reason: string;
  failedAt: string;
}

export function DeadLetterPanel() {
  const admin = useSession()?.user.role === 'admin';
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['dead-letters'],
    queryFn: () => api<DeadLetter[]>('/api/dead-letters'),
    refetchInterval: 3000,
  });
  const act = async (d: DeadLetter, action: 'retry' | 'discard') => {
    setError(null);
    try {
      await api(action === 'retry' ? `/api/dead-letters/${d.seq}/retry` : `/api/dead-letters/${d.seq}`, {
        method: action === 'retry' ? 'POST' : 'DELETE',
      });
    } catch (e) {
      setError((e as Error).message);
    }
    await queryClient.invalidateQueries({ queryKey: ['dead-letters'] });
  };
  const items = list.data ?? [];
  return (
    <Card
      title={
        <span id="dead-letters">
          Set aside {items.length > 0 && <Badge tone="warn">{items.length}</Badge>}
        </span>
      }
    >
      {error && (
        <p className="form__error" role="alert">
          {error}
        </p>
      )}
      {list.error && (
        <p className="form__error" role="alert">
          {(list.error as Error).message}
        </p>
      )}
      {items.length === 0 ? (
        <Empty title="Nothing set aside">
          An event the hub refuses for good (a reserved type, a payload too large) lands here with the hub’s
          reason, instead of blocking every event after it.
        </Empty>
      ) : (
        <ol className="dead-letters" data-testid="dead-letters">
          {items.map((d) => (
            <li key={d.seq} data-type={d.type} data-seq={d.seq}>
              <div className="dead-letters__head">
                <span className="events__type">{d.type}</span>
                <code>{d.topic}</code>
                <time className="muted" dateTime={d.failedAt}>
                  {new Date(d.failedAt).toLocaleString()}
                </time>
              </div>
              <div className="dead-letters__reason" data-testid="dead-letter-reason">
                {d.reason}
              </div>
              <code className="events__data">{JSON.stringify(d.data)}</code>
              {admin ? (
                <div className="dead-letters__actions">
                  <button type="button" className="btn btn--ghost" onClick={() => act(d, 'retry')}>
                    Retry
                  </button>
                  <button type="button" className="btn btn--ghost" onClick={() => act(d, 'discard')}>
                    Discard
                  </button>
                </div>
              ) : (
                <span className="muted">An admin (Alice) may retry or discard it.</span>
              )}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
