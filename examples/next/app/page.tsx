'use client';
import { createClient } from '@tidings/client';
import { useEffect, useState } from 'react';

/** A live list of what is published to `news`. */
export default function Page() {
  const [items, setItems] = useState<string[]>([]);
  useEffect(() => {
    const client = createClient({ url: '/live/events', topics: ['news'] });
    client.on('*', (event) => setItems((xs) => [...xs, JSON.stringify(event.data)]));
    client.connect();
    return () => client.disconnect();
  }, []);
  return (
    <main>
      <h1>News, live</h1>
      <ul>
        {items.map((x, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the list only grows
          <li key={i}>{x}</li>
        ))}
      </ul>
    </main>
  );
}
