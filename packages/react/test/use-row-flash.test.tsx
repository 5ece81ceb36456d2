import { renderHook, waitFor } from '@testing-library/react';
import { type FlashedRow, useRowFlash } from '@tidings/react';
import { describe, expect, it } from 'vitest';

interface Lease {
  ip: string;
  mac: string;
}
const lease = (n: number, mac = 'aa'): Lease => ({ ip: `10.0.0.${n}`, mac });
const view = (rows: readonly FlashedRow<Lease>[]) =>
  rows.map((r) => `${r.key}${r.flash ? `:${r.flash}` : ''}`);

describe('useRowFlash', () => {
  it('marks added, updated and removed rows, keeps removed rows in place until the fade ends', async () => {
    const { result, rerender } = renderHook(
      ({ rows }: { rows: Lease[] | undefined }) => useRowFlash(rows, (l) => l.ip, { durationMs: 150 }),
      { initialProps: { rows: undefined as Lease[] | undefined } },
    );
    expect(result.current).toEqual([]);
    rerender({ rows: [lease(1), lease(2), lease(3)] });
    // The first rows after loading are the starting point, not additions.
    expect(view(result.current)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);

    // A refetch: new objects, same content for 1, changed 3, 2 gone, 4 new.
    rerender({ rows: [lease(1), lease(3, 'bb'), lease(4)] });
    expect(view(result.current)).toEqual([
      '10.0.0.1',
      '10.0.0.2:removed',
      '10.0.0.3:updated',
      '10.0.0.4:added',
    ]);
    expect(result.current[1]?.row).toEqual(lease(2));

    await waitFor(() => expect(view(result.current)).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.4']));
  });

  it('does not loop or flash when given equal arrays on every render', () => {
    let renders = 0;
    const { result, rerender } = renderHook(() => {
      renders++;
      return useRowFlash([lease(1)], (l) => l.ip);
    });
    rerender();
    rerender();
    expect(view(result.current)).toEqual(['10.0.0.1']);
    expect(renders).toBeLessThanOrEqual(6);
  });

  it('brings a removed row back as added when it reappears during its fade', () => {
    const { result, rerender } = renderHook(({ rows }: { rows: Lease[] }) => useRowFlash(rows, (l) => l.ip), {
      initialProps: { rows: [lease(1), lease(2)] },
    });
    rerender({ rows: [lease(1)] });
    expect(view(result.current)).toEqual(['10.0.0.1', '10.0.0.2:removed']);
    rerender({ rows: [lease(1), lease(2)] });
    expect(view(result.current)).toEqual(['10.0.0.1', '10.0.0.2:added']);
  });

  it('treats loading again (undefined rows) as a fresh start: nothing fades out, nothing doubles', () => {
    const { result, rerender } = renderHook(
      ({ rows }: { rows: Lease[] | undefined }) => useRowFlash(rows, (l) => l.ip),
      { initialProps: { rows: [lease(1), lease(2)] as Lease[] | undefined } },
    );
    // A new query key: the data is undefined while it loads.
    rerender({ rows: undefined });
    expect(view(result.current)).toEqual([]);
    rerender({ rows: [lease(2), lease(3)] });
    expect(view(result.current)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(new Set(result.current.map((r) => r.key)).size).toBe(result.current.length);
  });
});
