/**
 * Seed 002: the access network. ONU status, alerts as toasts by severity, the RADIUS sessions
 * table (start / interim update / stop), and a job monitor whose Pause / Resume / Cancel buttons
 * are hub commands sent over the WebSocket channel (the job runner of examples/job-monitor).
 */
import { useQuery } from '@tanstack/react-query';
import { useClient, useCommand, useConnection, useEvent, useEvents, useRowFlash } from '@tidings/react';
import { useQueryInvalidation } from '@tidings/react/query';
import { EventToaster, severityVariant } from '@tidings/react/toast';
import { useEffect, useState } from 'react';
import { api } from '../api.js';
import type { JobState, Onu, RadiusSession } from '../events.js';
import { Badge, bytes, Card, Empty, PageHeader, relTime, StatusBadge, statusLabel } from '../ui.js';

/** `job-12` → 12, so a page always shows the newest job. */
const jobNumber = (id: string) => Number(id.replace(/^\D+/, '')) || 0;

interface AlertData {
  severity: string;
  message: string;
  source?: string | undefined;
}

const alertDetail = (a: AlertData) =>
  a.source ? `${statusLabel(a.severity)} · ${a.source}` : statusLabel(a.severity);

export function OperationsPage() {
  const onus = useQuery({ queryKey: ['onus'], queryFn: () => api<Onu[]>('/api/onus') });
  const sessions = useQuery({
    queryKey: ['radius'],
    queryFn: () => api<RadiusSession[]>('/api/radius/sessions'),
  });
  useQueryInvalidation({ 'onu.*': [['onus']], 'session.*': [['radius']] });
  const onuRows = useRowFlash(onus.data, (o) => o.id);
  const sessionRows = useRowFlash(sessions.data, (s) => s.id);
  const alerts = useEvents({ types: ['alert.*'], limit: 6 });
  const online = (onus.data ?? []).filter((o) => o.status === 'online').length;

  return (
    <>
      <PageHeader
        title="Operations"
        lead="ONU status, alerts, RADIUS sessions and a long-running job you can steer."
      />
      <EventToaster
        map={{
          'alert.raised': (e) => ({
            variant: severityVariant(e.data.severity),
            title: e.data.message,
            description: alertDetail(e.data),
          }),
          'alert.cleared': (e) => ({
            variant: 'success',
            title: e.data.message,
            description: alertDetail(e.data),
          }),
        }}
      />
      {/* One grid for both rows, so the cards of the two rows share their columns and heights. */}
      <div className="grid grid--ops" data-testid="ops-grid">
        <JobMonitor />
        <Card title="Recent alerts">
          {alerts.length === 0 ? (
            <Empty title="No alerts">Alerts raised by the network appear here and as toasts.</Empty>
          ) : (
            <ul className="list" data-testid="alerts">
              {[...alerts].reverse().map(({ id, type, time, data }) => {
                const a = data as AlertData;
                return (
                  <li key={id} className="list__row" data-type={type}>
                    <Badge
                      tone={
                        a.severity === 'critical'
                          ? 'bad'
                          : a.severity === 'warning'
                            ? 'warn'
                            : type === 'alert.cleared'
                              ? 'ok'
                              : 'info'
                      }
                    >
                      {statusLabel(a.severity)}
                    </Badge>
                    <span className="list__main">{a.message}</span>
                    <time className="muted list__time">{new Date(time).toLocaleTimeString()}</time>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
        <Card
          title="ONU status"
          aside={
            <span className="muted">
              {online} of {onus.data?.length ?? 0} online
            </span>
          }
        >
          {onuRows.length === 0 ? (
            <Empty title="No ONUs">Provisioned ONUs appear here with their optical power.</Empty>
          ) : (
            <div className="onus" data-testid="onus">
              {onuRows.map(({ key, row, flash }) => (
                <div key={key} className="onu" data-flash={flash ?? undefined} data-status={row.status}>
                  <span className="onu__dot" aria-hidden="true" />
                  <span className="mono">{row.id}</span>
                  <span className="muted onu__meta">
                    {row.olt} · {row.status === 'offline' ? 'no signal' : `${row.rx_dbm.toFixed(1)} dBm`}
                  </span>
                </div>
              ))}
            </div>
          )}
        </Card>
        <Card
          title="RADIUS sessions"
          aside={<span className="muted">{sessions.data?.length ?? 0} active</span>}
        >
          {sessionRows.length === 0 ? (
            <Empty title="No sessions">
              Subscriber sessions appear when they authenticate and leave when they stop.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="table table--fixed table--radius" data-testid="radius">
                <colgroup>
                  <col style={{ width: '27%' }} />
                  <col style={{ width: '11%' }} />
                  <col style={{ width: '19%' }} />
                  <col style={{ width: '29%' }} />
                  <col style={{ width: '14%' }} />
                </colgroup>
                <thead>
                  <tr>
                    <th>User</th>
                    <th>NAS</th>
                    <th>IP</th>
                    <th>In / out</th>
                    <th>Started</th>
                  </tr>
                </thead>
                <tbody>
                  {sessionRows.map(({ key, row, flash }) => (
                    <tr key={key} data-flash={flash ?? undefined}>
                      <td className="cell--clip" title={row.username}>
                        {row.username}
                      </td>
                      <td className="mono">{row.nas}</td>
                      <td className="mono">{row.framed_ip}</td>
                      <td className="muted">
                        {bytes(row.bytes_in)} / {bytes(row.bytes_out)}
                      </td>
                      <td className="muted">{relTime(row.started_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      </div>
    </>
  );
}

function JobMonitor() {
  const client = useClient();
  const connected = useConnection((c) => c.status === 'connected');
  const [job, setJob] = useState<JobState | null>(null);
  const latest = useCommand<Record<string, never>, JobState>('job.latest');
  const start = useCommand<{ total: number }, JobState>('job.start');
  const pause = useCommand<{ jobId: string }, JobState>('job.pause');
  const resume = useCommand<{ jobId: string }, JobState>('job.resume');
  const cancel = useCommand<{ jobId: string }, JobState>('job.cancel');
  // Only a live connection carries the buttons; while it is down the label says so.
  const transport = connected ? client.transport : null;
  const jobId = job?.jobId ?? '';

  // The latest job when the page opens (or the hub came back); events keep it current, and the
  // next job (started by the hub's cycle or another user) takes over from a finished one.
  const run = latest.run;
  useEffect(() => {
    if (!connected) return;
    run({}).then((s) => s && setJob(s));
  }, [connected, run]);
  useEvent('job.*', (data) => {
    const s = data as JobState;
    setJob((cur) => (!cur || jobNumber(s.jobId) >= jobNumber(cur.jobId) ? s : cur));
  });
  const apply = (s: JobState | undefined) => s && setJob(s);
  const error = [start, pause, resume, cancel].find((c) => c.error)?.error;
  const busy = pause.pending || resume.pending || cancel.pending || start.pending;
  const done = job?.status === 'completed' || job?.status === 'cancelled';

  return (
    <Card
      title="Job monitor"
      aside={
        transport ? (
          <span className="muted" title="How the buttons reach the hub" data-testid="job-transport">
            via {transport === 'websocket' ? 'WebSocket' : 'HTTP'}
          </span>
        ) : (
          <span className="muted" data-testid="job-transport">
            offline
          </span>
        )
      }
    >
      {!job ? (
        <Empty title="No job yet">
          {latest.error ? latest.error.message : 'The job appears here as soon as the hub answers.'}
        </Empty>
      ) : (
        <div className="job" data-testid="job" data-status={job.status}>
          <div className="job__head">
            <strong className="job__title">Re-provision OLT-2 subscribers</strong>
            <span className="mono muted">{job.jobId}</span>
            <StatusBadge status={job.status} />
          </div>
          <div
            className="progress"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={job.pct}
            data-status={job.status}
          >
            <span className="progress__fill" style={{ width: `${job.pct}%` }} />
          </div>
          <div className="job__meta muted">
            {job.processed} of {job.total} subscribers · {job.pct}%
            {job.by && job.by !== 'system' ? ` · last change by ${job.by}` : ''}
            {done ? ' · the next run starts shortly' : ''}
          </div>
          <div className="form__row">
            {job.status === 'paused' ? (
              <button
                type="button"
                className="btn"
                disabled={busy}
                onClick={() => resume.run({ jobId }).then(apply)}
              >
                Resume
              </button>
            ) : (
              <button
                type="button"
                className="btn"
                disabled={busy || done}
                onClick={() => pause.run({ jobId }).then(apply)}
              >
                Pause
              </button>
            )}
            <button
              type="button"
              className="btn btn--danger"
              disabled={busy || done}
              onClick={() => cancel.run({ jobId }).then(apply)}
            >
              Cancel
            </button>
            <button
              type="button"
              className="btn btn--ghost"
              disabled={busy}
              onClick={() => start.run({ total: 300 }).then(apply)}
            >
              New job
            </button>
          </div>
          {error && (
            <p className="form__error" role="alert">
              {error.message}
            </p>
          )}
        </div>
      )}
    </Card>
  );
}
