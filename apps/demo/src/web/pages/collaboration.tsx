/**
 * Seed 003: a coaching session's actions, agreements and goals, loaded with SWR. What one user
 * creates, edits or deletes reaches every other window through SWR invalidation; an admin can
 * force another user out (the hub's forced logout).
 */
import { useEvents } from '@tidings/react';
import { useSWRInvalidation } from '@tidings/react/swr';
import { useRef, useState } from 'react';
import { toast } from 'sonner';
import useSWR, { useSWRConfig } from 'swr';
import { api } from '../api.js';
import { useSession } from '../session.js';
import { Avatar, Card, Empty, Loading, PageHeader, StatusBadge, statusLabel } from '../ui.js';

interface Item {
  id: number;
  kind: 'action' | 'agreement' | 'goal';
  body: string;
  status: string;
  created_by: string;
  updated_by: string;
  updated_at: string;
}

const LISTS = [
  {
    kinds: 'actions',
    title: 'Actions',
    empty: 'No actions yet. Add the next step the coachee commits to.',
    statuses: ['not_started', 'in_progress', 'completed', 'wont_do'],
  },
  {
    kinds: 'agreements',
    title: 'Agreements',
    empty: 'No agreements yet. Write down what you both agreed on.',
    statuses: ['agreed'],
  },
  {
    kinds: 'goals',
    title: 'Goals',
    empty: 'No goals yet. Add what this coaching relationship is working towards.',
    statuses: ['not_started', 'in_progress', 'completed'],
  },
] as const;

const VERBS: Record<string, string> = { created: 'added', updated: 'updated', deleted: 'deleted' };
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The text of each item by id, from the lists' SWR cache; an item once seen keeps its text, so
 * "deleted the action …" still says which one.
 */
function useItemTexts(urls: readonly string[]): (id: number) => string | undefined {
  const a = useSWR<Item[]>(urls[0] ?? null);
  const b = useSWR<Item[]>(urls[1] ?? null);
  const c = useSWR<Item[]>(urls[2] ?? null);
  const seen = useRef(new Map<number, string>());
  for (const list of [a.data, b.data, c.data]) {
    for (const item of list ?? []) seen.current.set(item.id, item.body);
  }
  return (id) => seen.current.get(id);
}

export function CollaborationPage({ sessionId }: { sessionId: string }) {
  const s = useSession();
  const base = `/api/coaching/${sessionId}`;
  // Each kind of change refetches its list (and everything under its URL), once per burst.
  useSWRInvalidation({
    'action_*': [`${base}/actions`],
    'agreement_*': [`${base}/agreements`],
    'goal_*': [`${base}/goals`],
  });
  const activity = useEvents({ types: ['action_*', 'agreement_*', 'goal_*'], limit: 8 });
  const textOf = useItemTexts(LISTS.map((l) => `${base}/${l.kinds}`));
  return (
    <>
      <PageHeader
        title="Coaching session"
        lead="Alice coaches Bob. Open a second window as the other user: what one changes appears in the other at once."
      />
      <div className="grid grid--collab">
        {LISTS.map((l) => (
          <ItemList key={l.kinds} url={`${base}/${l.kinds}`} {...l} />
        ))}
      </div>
      <div className="grid grid--pair">
        <Card title="Activity">
          {activity.length === 0 ? (
            <Empty title="No changes yet">Changes made in any window are listed here as they arrive.</Empty>
          ) : (
            <ul className="list" data-testid="activity">
              {[...activity].reverse().map((e) => {
                const d = e.data as { by: string; kind: string; id: number };
                const text = textOf(d.id);
                const verb = VERBS[e.type.split('_')[1] ?? ''] ?? 'changed';
                return (
                  <li key={e.id} className="list__row" data-type={e.type}>
                    <Avatar id={d.by} name={d.by} size="small" />
                    <span className="list__main" title={text}>
                      <strong>{capitalize(d.by)}</strong> {verb} the {d.kind}{' '}
                      {text ? `“${text}”` : <span className="muted">(no longer listed)</span>}
                    </span>
                    <time className="muted list__time">{new Date(e.time).toLocaleTimeString()}</time>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
        {s?.user.role === 'admin' ? <ForceLogout self={s.user.id} /> : <AboutAdmin />}
      </div>
    </>
  );
}

function ItemList({
  url,
  title,
  empty,
  statuses,
}: {
  url: string;
  title: string;
  empty: string;
  statuses: readonly string[];
}) {
  const { data, error, isLoading } = useSWR<Item[]>(url);
  const { mutate } = useSWRConfig();
  const [draft, setDraft] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setFormError(null);
    try {
      await api(url, { method: 'POST', body: { body: draft } });
      setDraft('');
      await mutate(url);
    } catch (err) {
      setFormError((err as Error).message);
    }
  };
  return (
    <Card title={title} aside={<span className="muted">{data?.length ?? 0}</span>}>
      <form className="add-row" onSubmit={add}>
        <input
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={`New ${title.toLowerCase().replace(/s$/, '')}…`}
          aria-label={`New ${title.toLowerCase().replace(/s$/, '')}`}
          data-testid={`add-${title.toLowerCase()}`}
        />
        <button type="submit" className="btn btn--primary" disabled={draft.trim() === ''}>
          Add
        </button>
      </form>
      {formError && (
        <p className="form__error" role="alert">
          {formError}
        </p>
      )}
      {isLoading ? (
        <Loading>Loading {title.toLowerCase()}…</Loading>
      ) : error ? (
        <Empty title={`${title} could not be loaded`}>{(error as Error).message}</Empty>
      ) : !data || data.length === 0 ? (
        <Empty title={`No ${title.toLowerCase()}`}>{empty}</Empty>
      ) : (
        <ul className="items" data-testid={`list-${title.toLowerCase()}`}>
          {data.map((item) => (
            <ItemRow key={item.id} item={item} url={url} statuses={statuses} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function ItemRow({ item, url, statuses }: { item: Item; url: string; statuses: readonly string[] }) {
  const { mutate } = useSWRConfig();
  const [editing, setEditing] = useState<string | null>(null);
  const change = async (body: Record<string, string>) => {
    try {
      await api(`/api/coaching/items/${item.id}`, { method: 'PATCH', body });
      setEditing(null);
      await mutate(url);
    } catch (e) {
      toast.error((e as Error).message);
    }
  };
  const remove = async () => {
    try {
      await api(`/api/coaching/items/${item.id}`, { method: 'DELETE' });
      await mutate(url);
    } catch (e) {
      toast.error((e as Error).message);
    }
  };
  return (
    <li className="item" data-item-id={item.id}>
      {editing !== null ? (
        <form
          className="add-row"
          onSubmit={(e) => {
            e.preventDefault();
            change({ body: editing });
          }}
        >
          <input value={editing} onChange={(e) => setEditing(e.target.value)} aria-label="Edit text" />
          <button type="submit" className="btn btn--primary">
            Save
          </button>
          <button type="button" className="btn btn--ghost" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <div className="item__body">
            <span className="item__text">{item.body}</span>
            <span className="muted item__meta">
              <Avatar id={item.created_by} name={item.created_by} size="tiny" /> {capitalize(item.created_by)}
              {item.updated_by !== item.created_by ? `, edited by ${capitalize(item.updated_by)}` : ''}
            </span>
          </div>
          <div className="item__tools">
            {statuses.length > 1 ? (
              <select
                value={item.status}
                onChange={(e) => change({ status: e.target.value })}
                aria-label="Status"
              >
                {statuses.map((s) => (
                  <option key={s} value={s}>
                    {statusLabel(s)}
                  </option>
                ))}
              </select>
            ) : (
              <StatusBadge status={item.status} />
            )}
            <button
              type="button"
              className="btn btn--icon"
              title="Edit"
              aria-label="Edit"
              onClick={() => setEditing(item.body)}
            >
              ✎
            </button>
            <button
              type="button"
              className="btn btn--icon"
              title="Delete"
              aria-label="Delete"
              onClick={remove}
            >
              ✕
            </button>
          </div>
        </>
      )}
    </li>
  );
}

function ForceLogout({ self }: { self: string }) {
  const [user, setUser] = useState(self === 'bob' ? 'carol' : 'bob');
  const [reason, setReason] = useState('Your role changed; sign in again to get your new access.');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      const r = await api<{ hub: { disconnected?: number } }>('/api/admin/force-logout', {
        method: 'POST',
        body: { user, reason },
      });
      setResult(
        `Signed ${user} out${typeof r.hub.disconnected === 'number' ? ` (${r.hub.disconnected} open connection${r.hub.disconnected === 1 ? '' : 's'} closed)` : ''}.`,
      );
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Card title="Admin: force logout">
      <form className="form" onSubmit={submit} data-testid="force-logout">
        <label>
          User
          <select value={user} onChange={(e) => setUser(e.target.value)} name="user">
            {['alice', 'bob', 'carol']
              .filter((u) => u !== self)
              .map((u) => (
                <option key={u} value={u}>
                  {capitalize(u)}
                </option>
              ))}
          </select>
        </label>
        <label>
          Reason (the user sees it)
          <input value={reason} onChange={(e) => setReason(e.target.value)} name="reason" />
        </label>
        {error && (
          <p className="form__error" role="alert">
            {error}
          </p>
        )}
        <div className="form__row">
          <button type="submit" className="btn btn--danger">
            Force logout
          </button>
          {result && (
            <span className="muted" role="status">
              {result}
            </span>
          )}
        </div>
      </form>
    </Card>
  );
}

function AboutAdmin() {
  return (
    <Card title="Admin tools">
      <Empty title="Only for admins">
        Sign in as Alice in another window to force this user out: this window then returns to the sign-in
        screen with her reason.
      </Empty>
    </Card>
  );
}
