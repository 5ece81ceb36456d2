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
import { events } from '../events.js';
import { hubToken } from '../hub-token.js';
import { OfflineAware } from '../offline-aware.js';
import { Card, Empty, PageHeader, relTime, StatusBadge } from '../ui.js';

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
                    description: `on ${e.data.cluster_id}, was ${e.data.previous}`,
                  }
                : null,
            project_status_update: (e) => ({
              variant: e.data.status === 'healthy' ? 'success' : 'warning',
              title: `Project ${e.data.project_id} is ${e.data.status}`,
            }),
          }}
        />
      </TidingsProvider>
    </>
  );
}

const FEED_TYPES = ['workload_status_update', 'project_status_update', 'build_*'] as const;

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
  const feed = useEvents({ types: FEED_TYPES, limit: 12 });
  const shownProjects = project ? projects.filter((p) => p.id === project) : projects;

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
            <div className="stat" key={c.id} title={`${c.name} in ${c.region}`}>
              <span className="stat__label">Cluster</span>
              <span className="stat__value stat__value--small">{c.name}</span>
              <StatusBadge status={c.status} />
            </div>
          ))}
        </div>
        <Card title="Workloads">
          {rows.length === 0 ? (
            <Empty title={workloads.isPending ? 'Loading workloads…' : 'No workloads'}>
              {workloads.isPending ? null : 'Deploy a workload to this project and it shows up here.'}
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="workloads">
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
                      <td>
                        <strong>{row.name}</strong>
                      </td>
                      <td>{row.project_id}</td>
                      <td className="mono">{row.cluster_id}</td>
                      <td>{row.replicas}</td>
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
                    {row.workload_id} <span className="muted mono">{row.commit_sha}</span>
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
              <li key={e.id} data-project={(e.data as { project_id?: string }).project_id}>
                <span className="feed__type">{e.type.replaceAll('_', ' ')}</span>
                <span>{describe(e.data as Record<string, unknown>)}</span>
                <time className="muted">{new Date(e.time).toLocaleTimeString()}</time>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}

function describe(d: Record<string, unknown>): string {
  const name = String(d.name ?? d.project_id ?? '');
  if (typeof d.previous === 'string') return `${name}: ${d.previous} → ${String(d.status)}`;
  return `${name} · ${String(d.project_id)}${d.error ? ` · ${String(d.error)}` : ''}`;
}
