/**
 * The end-to-end half of "Live": the header's indicator says whether this tab's stream is
 * connected, but events reach it only if the backend can publish them. This banner, under the
 * header, says when publishing is stuck (events waiting longer than a few seconds, or the hub
 * refusing the backend) and when events were set aside, even while the stream is live.
 */
import { useEffect, useState } from 'react';
import { navigate } from './router.js';
import './publish-health.css';

/** What `GET /api/health` answers. */
export interface PublishHealthState {
  state: 'ok' | 'stuck';
  outboxPending: number;
  oldestPendingMs: number;
  hubError: string | null;
  deadLetters: number;
}

const POLL_MS = 2000;

/** Polls the backend's health while mounted; `undefined` until the first answer. */
export function usePublishHealth(): { health: PublishHealthState | undefined; unreachable: boolean } {
  const [health, setHealth] = useState<PublishHealthState>();
  const [unreachable, setUnreachable] = useState(false);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const res = await fetch('/api/health', { cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const h = (await res.json()) as PublishHealthState;
        if (!stop) {
          setHealth(h);
          setUnreachable(false);
        }
      } catch {
        if (!stop) setUnreachable(true);
      }
      if (!stop) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);
  return { health, unreachable };
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

export function PublishHealth() {
  const { health, unreachable } = usePublishHealth();
  if (unreachable) {
    return (
      <div className="publish-health publish-health--stuck" role="alert" data-publish-health="unreachable">
        <strong>Publishing unknown.</strong> The demo backend does not answer; is <code>npm start</code> still
        running?
      </div>
    );
  }
  if (!health) return null;
  if (health.state === 'stuck') {
    const waiting =
      health.outboxPending === 0
        ? 'Nothing is waiting yet.'
        : `${health.outboxPending} event${health.outboxPending === 1 ? ' has' : 's have'} waited ${seconds(health.oldestPendingMs)} to be published; no tab receives them until this clears.`;
    return (
      <div className="publish-health publish-health--stuck" role="alert" data-publish-health="stuck">
        <strong>Publishing is stuck.</strong> {waiting}
        {health.hubError && <span className="publish-health__why"> {health.hubError}</span>}
      </div>
    );
  }
  if (health.deadLetters > 0) {
    return (
      <div className="publish-health publish-health--aside" role="status" data-publish-health="set-aside">
        <strong>
          {health.deadLetters} event{health.deadLetters === 1 ? ' was' : 's were'} set aside.
        </strong>{' '}
        The hub refused {health.deadLetters === 1 ? 'it' : 'them'} for good; everything else is delivered.{' '}
        <button type="button" className="publish-health__link" onClick={() => navigate('/sse-test')}>
          See why
        </button>
      </div>
    );
  }
  return <span hidden data-publish-health="ok" />;
}
