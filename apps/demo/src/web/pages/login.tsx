/**
 * Sign in as one of the demo users (once for every tab of the browser); shows why the last
 * session ended (a forced logout).
 */
import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { navigate } from '../router.js';
import { session, type User, useEndedBecause, useSessionReady } from '../session.js';

export function LoginPage() {
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reason = useEndedBecause();
  const ready = useSessionReady();
  useEffect(() => {
    api<User[]>('/api/users').then(setUsers, (e: Error) => setError(e.message));
  }, []);
  const signIn = async (id: string) => {
    try {
      // The backend sets the session cookie; every open tab of this origin is signed in with it.
      const s = await api<{ user: User }>('/api/login', { method: 'POST', body: { user: id } });
      session.signedIn(s.user);
      if (window.location.pathname === '/login' || window.location.pathname === '/') navigate('/leases');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  // Until the backend said whether the session cookie is valid, show neither the app nor this.
  if (!ready) return null;
  return (
    <div className="login">
      <div className="login__card" data-testid="login">
        <div className="brand brand--big">
          <span className="brand__mark" aria-hidden="true" />
          Tidings <span className="brand__sub">demo</span>
        </div>
        <p className="muted">
          Real-time push over SSE and WebSocket. Pick a demo user; open a second window as another user to see
          changes travel.
        </p>
        {reason && (
          <div className="notice notice--warn" role="alert" data-testid="logout-reason">
            <strong>You were signed out.</strong> {reason}
          </div>
        )}
        {error && (
          <div className="notice notice--bad" role="alert">
            {error}
          </div>
        )}
        <ul className="login__users">
          {users.map((u) => (
            <li key={u.id}>
              <button type="button" className="login__user" data-user={u.id} onClick={() => signIn(u.id)}>
                <span className="avatar avatar--big" aria-hidden="true">
                  {u.name.charAt(0)}
                </span>
                <span>
                  <strong>{u.name}</strong>
                  <span className="muted">
                    {u.title}
                    {u.role === 'admin' ? ' · admin' : ''}
                  </span>
                </span>
                <span className="login__go" aria-hidden="true">
                  →
                </span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
