import { type Db, enqueue, now } from '../app-db.js';
import { ApiError } from '../http-util.js';

/** Starts a build of a workload and queues `build_started`. */
export function startBuild(db: Db, workloadId: string, by: string) {
  const w = db.prepare('SELECT * FROM workloads WHERE id = ?').get(workloadId) as
    | { id: string; project_id: string; name: string }
    | undefined;
  if (!w)
    throw new ApiError(
      404,
      'not-found',
      `There is no workload "${workloadId}"; pick one from GET /api/workloads.`,
    );
  const sha = Math.random().toString(16).slice(2, 9);
  const info = db
    .prepare(
      "INSERT INTO builds (workload_id, project_id, status, commit_sha, started_at) VALUES (?, ?, 'running', ?, ?)",
    )
    .run(w.id, w.project_id, sha, now());
  const build = {
    id: Number(info.lastInsertRowid),
    workload_id: w.id,
    project_id: w.project_id,
    name: w.name,
    commit: sha,
    by,
  };
  enqueue(db, [{ topic: `projects/${w.project_id}/builds`, type: 'build_started', data: build }]);
  return build;
}
