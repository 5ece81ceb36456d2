import { render, screen, waitFor } from '@testing-library/react';
import { TidingsProvider } from '@tidings/react';
import { EventToaster, severityVariant } from '@tidings/react/toast';
import { afterEach, describe, expect, it } from 'vitest';
import './app-events.js';
import { closeAll, liveHub, until } from './helpers.js';

afterEach(closeAll);

describe('<EventToaster>', () => {
  it('shows toasts by variant, and merges a burst of identical ones into one with a count', async () => {
    const hub = await liveHub();
    const client = hub.client();
    render(
      <TidingsProvider client={client}>
        <EventToaster
          toaster={{ visibleToasts: 10 }}
          map={{
            build_failed: (e) => ({
              variant: 'error',
              title: `Build ${e.data.name} failed`,
              description: e.data.reason,
            }),
            'alert.*': (e) =>
              e.declared && e.type === 'alert.raised'
                ? { variant: severityVariant(e.data.severity), title: e.data.message }
                : null,
          }}
        />
      </TidingsProvider>,
    );
    await until(() => client.state.status === 'connected');
    await hub.publish('build_failed', { name: 'web', reason: 'Tests failed.' });
    const toast = await screen.findByText('Build web failed');
    const item = toast.closest('[data-sonner-toast]') as HTMLElement;
    expect(item.getAttribute('data-type')).toBe('error');
    expect(item.textContent).toContain('Tests failed.');

    await hub.publishMany(
      Array.from({ length: 6 }, () => ({
        type: 'alert.raised',
        topic: 'alerts',
        data: { severity: 'warning', message: 'Disk 91% full' },
      })),
    );
    await until(() => client.stats.received === 7);
    await waitFor(() => expect(screen.getByRole('img', { name: '6 times' }).textContent).toBe('×6'));
    expect(screen.getAllByText('Disk 91% full')).toHaveLength(1);
    const alert = screen.getByText('Disk 91% full').closest('[data-sonner-toast]') as HTMLElement;
    expect(alert.getAttribute('data-type')).toBe('warning');
    // Unmapped types make no toast.
    await hub.publish('lease-added', { ip: '10.0.0.1', mac: 'a' });
    await until(() => client.stats.received === 8);
    expect(document.querySelectorAll('[data-sonner-toast]')).toHaveLength(2);
  });

  it('maps severities to variants', () => {
    expect(['critical', 'ERROR', 'warn', 'resolved', 'note', undefined].map(severityVariant)).toEqual([
      'error',
      'error',
      'warning',
      'success',
      'info',
      'info',
    ]);
  });
});
