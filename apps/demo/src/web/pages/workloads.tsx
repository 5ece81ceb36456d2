/**
 * Seed 001: projects, clusters, workloads and builds. Status changes and build results raise
 * toasts; the project filter narrows the feed on the hub (a topic pattern per project), not in
 * the browser: the page has its own connection subscribed to `projects/<id>/**`.
 */
import { useQuery } from '@tanstack/react-query';
import { TidingsProvider, useEvents, useRowFlash } from '@tidings/react';
import { useQueryInvalidation } from '@tidings/react/query';
import { EventToaster } from '@tidings/react/toast';
import { useState } from 'react';
import { api } from '../api.js';
import { eventLabel, events } from '../events.js';
import { hubToken } from '../hub-token.js';
import { OfflineAware } from '../offline-aware.js';
import { Card, Empty, Loading, PageHeader, relTime, StatusBadge, statusLabel } from '../ui.js';

interface Project {
  id: string;
  name: string;
  status: string;
}
interface Cluster {
  id: string;
  name: string;
  region: string;
  status: string;
}
interface Workload {
  id: string;
  project_id: string;
  cluster_id: string;
  name: string;
  status: string;
  replicas: number;
  updated_at: string;
}
interface Build {
  id: number;
  workload_id: string;
  project_id: string;
  status: string;
  commit_sha: string;
  started_at: string;
  finished_at: string | null;
}

export function WorkloadsPage({ hubUrl }: { hubUrl: string }) {
  const [project, setProject] = useState('');
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api<Project[]>('/api/projects') });
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: () => api<Cluster[]>('/api/clusters') });
  const clusterName = nameOf(clusters.data);
  const topics = [project ? `projects/${project}/**` : 'projects/**'];
  return (
    <>
      <PageHeader
        title="Workloads"
        lead="Projects, clusters, workloads and builds. Status changes and build results arrive as toasts."
      >
        <label className="inline-label">
          Project
          <select value={project} onChange={(e) => setProject(e.target.value)} data-testid="project-filter">
            <option value="">All projects</option>
            {(projects.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      <TidingsProvider url={`${hubUrl}/events`} topics={topics} events={events} token={hubToken}>
        <OfflineAware />
        {/* Keyed by project: another project is another table, not 4 rows removed and 2 kept. */}
        <WorkloadsBody
          key={project}
          project={project}
          projects={projects.data ?? []}
          topic={topics[0] as string}
        />
        <EventToaster
          map={{
            build_complete: (e) => ({
              variant: 'success',
              title: `Build of ${e.data.name} succeeded`,
              description: `commit ${e.data.commit}`,
            }),
            build_failed: (e) => ({
              variant: 'error',
              title: `Build of ${e.data.name} failed`,
              description: e.data.error ?? `commit ${e.data.commit}`,
            }),
            workload_status_update: (e) =>
              e.data.status === 'degraded'
                ? {
                    variant: 'warning',
                    title: `${e.data.name} is degraded`,
                    description: `on ${clusterName(e.data.cluster_id)}, was ${statusLabel(e.data.previous).toLowerCase()}`,
                  }
                : null,
            project_status_update: (e) => ({
              variant: e.data.status === 'healthy' ? 'success' : 'warning',
              title: `${nameOf(projects.data)(e.data.project_id)} is ${e.data.status}`,
            }),
          }}
        />
      </TidingsProvider>
    </>
  );
}

const FEED_TYPES = ['workload_status_update', 'project_status_update', 'build_*'] as const;

/** A lookup from id to display name (the id itself until the list has loaded). */
const nameOf =
  (rows: ReadonlyArray<{ id: string; name: string }> | undefined) =>
  (id: string): string =>
    rows?.find((r) => r.id === id)?.name ?? id;

function WorkloadsBody({
  project,
  projects,
  topic,
}: {
  project: string;
  projects: Project[];
  topic: string;
}) {
  const q = project ? `?project=${project}` : '';
  const workloads = useQuery({
    queryKey: ['workloads', project],
    queryFn: () => api<Workload[]>(`/api/workloads${q}`),
  });
  const builds = useQuery({ queryKey: ['builds', project], queryFn: () => api<Build[]>(`/api/builds${q}`) });
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: () => api<Cluster[]>('/api/clusters') });
  useQueryInvalidation({
    workload_status_update: [['workloads']],
    project_status_update: [['projects']],
    'build_*': [['builds']],
  });
  const rows = useRowFlash(workloads.data, (w) => w.id);
  const buildRows = useRowFlash(builds.data, (b) => b.id);
  const workloadName = (id: string) => workloads.data?.find((w) => w.id === id)?.name ?? id;
  const feed = useEvents({ types: FEED_TYPES, limit: 12 });
  const shownProjects = project ? projects.filter((p) => p.id === project) : projects;
  const clusterName = nameOf(clusters.data);
  const projectName = nameOf(projects);

  return (
    <div className="grid grid--workloads">
      <div className="stack">
        <div className="stats">
          {shownProjects.map((p) => (
            <div className="stat" key={p.id}>
              <span className="stat__label">Project</span>
              <span className="stat__value stat__value--small">{p.name}</span>
              <StatusBadge status={p.status} />
            </div>
          ))}
          {(clusters.data ?? []).map((c) => (
            <div className="stat" key={c.id} title={`${c.name} in ${c.region}`} data-cluster={c.id}>
              <span className="stat__label">Cluster · {c.region}</span>
              <span className="stat__value stat__value--small mono">{c.name}</span>
              <StatusBadge status={c.status} />
            </div>
          ))}
        </div>
        <Card title="Workloads">
          {workloads.isPending ? (
            <Loading>Loading workloads…</Loading>
          ) : rows.length === 0 ? (
            <Empty title="No workloads">Deploy a workload to this project and it shows up here.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table table--fixed table--workloads" data-testid="workloads">
                <colgroup>
                  <col style={{ width: '24%' }} />
                  <col style={{ width: '15%' }} />
                  <col style={{ width: '17%' }} />
                  <col style={{ width: '12%' }} />
                  <col style={{ width: '16%' }} />
                  <col style={{ width: '16%' }} />
                </colgroup>
                <thead>
                  <tr>
                    <th>Workload</th>
                    <th>Project</th>
                    <th>Cluster</th>
                    <th>Replicas</th>
                    <th>Status</th>
                    <th>Changed</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map(({ key, row, flash }) => (
                    <tr key={key} data-flash={flash ?? undefined}>
                      <td className="cell--clip">
                        <strong>{row.name}</strong>
                      </td>
                      <td>{projectName(row.project_id)}</td>
                      <td className="mono" data-cluster={row.cluster_id}>
                        {clusterName(row.cluster_id)}
                      </td>
                      <td className="num">{row.replicas}</td>
                      <td>
                        <StatusBadge status={row.status} />
                      </td>
                      <td className="muted">{relTime(row.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <Card title="Recent builds">
          {buildRows.length === 0 ? (
            <Empty title="No builds yet">
              Builds start when CI picks up a commit; they appear here live.
            </Empty>
          ) : (
            <ul className="list">
              {buildRows.map(({ key, row, flash }) => (
                <li key={key} data-flash={flash ?? undefined} className="list__row">
                  <span className="mono">#{row.id}</span>
                  <span className="list__main">
                    {workloadName(row.workload_id)} <span className="muted mono">{row.commit_sha}</span>
                  </span>
                  <StatusBadge status={row.status} />
                  <span className="muted list__time">{relTime(row.started_at)}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <Card title="Live feed" aside={<code className="muted topic">{topic}</code>}>
        {feed.length === 0 ? (
          <Empty title="Quiet so far">
            Status changes and builds of {project ? 'this project' : 'every project'} appear here as they
            happen.
          </Empty>
        ) : (
          <ol className="feed" data-testid="workload-feed">
            {[...feed].reverse().map((e) => (
              <li key={e.id} data-project={(e.data as { project_id?: string }).project_id} data-type={e.type}>
                <span className="feed__type" data-tone={feedTone(e.type, e.data)}>
                  {eventLabel(e.type)}
                </span>
                <span className="feed__text">
                  {describe(e.type, e.data as Record<string, unknown>, projectName)}
                </span>
                <time className="muted">{new Date(e.time).toLocaleTimeString()}</time>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}

/** One line per feed event, in words: "query-api: Running → Degraded", "invoicer · a1b2c3d". */
function describe(type: string, d: Record<string, unknown>, projectName: (id: string) => string): string {
  const status = (s: unknown) => statusLabel(String(s));
  if (type === 'project_status_update') {
    return `${projectName(String(d.project_id))}: ${status(d.previous)} → ${status(d.status)}`;
  }
  if (typeof d.previous === 'string') return `${String(d.name)}: ${status(d.previous)} → ${status(d.status)}`;
  const error = d.error ? ` · ${String(d.error)}` : '';
  return `${String(d.name)} · ${String(d.commit)}${error}`;
}

/** The feed label's colour: failures red, degradation amber, successes green. */
function feedTone(type: string, d: unknown): 'bad' | 'warn' | 'ok' | 'info' {
  const status = (d as { status?: string }).status;
  if (type === 'build_failed') return 'bad';
  if (status === 'degraded') return 'warn';
  if (type === 'build_complete' || status === 'healthy') return 'ok';
  return 'info';
}
